"""`skillstream eval`: figures as a table and as JSON, agreeing with the serving API."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.inference import Classifier
from skillstream.models.openset import open_set_decisions
from skillstream.models.keypoints.dataset import load_dataset
from tests.models.training.toydata import write_toy_checkpoint, write_toy_dataset


@pytest.fixture
def run_eval(run_cli):
    return functools.partial(run_cli, "eval")


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    return write_toy_checkpoint(root / "m.pt", threshold=0.34), write_toy_dataset(root / "data", per_class=4, seed=5)


def test_json_agrees_with_the_classifier(run_eval, model_and_data: tuple[Path, Path]) -> None:
    model, data = model_and_data
    status, out, err = run_eval("--model", model, "--data", data, "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert {"accuracy", "per_class", "n", "confusion", "classes", "open_set_fpr"} <= result.keys()
    classifier = Classifier.load(model)
    clips = load_dataset(data).clips
    probabilities = classifier.probabilities([clip.keypoints for clip in clips])
    true = np.array([classifier.classes.index(clip.label) for clip in clips])
    assert result["classes"] == list(classifier.classes) and result["n"] == 12
    assert result["accuracy"] == pytest.approx(np.mean(probabilities.argmax(axis=1) == true))
    assert np.sum(result["confusion"]) == 12 and np.trace(result["confusion"]) / 12 == result["accuracy"]
    _, _, is_skill = open_set_decisions(probabilities, 2, 0.34)
    assert result["open_set_fpr"] == pytest.approx(np.mean(is_skill[true == 2]))
    assert result["n_non_skill"] == 4 and result["threshold"] == pytest.approx(0.34)


def test_table(run_eval, model_and_data: tuple[Path, Path]) -> None:
    model, data = model_and_data
    status, out, _ = run_eval("--model", model, "--data", data)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"model     {model} (3 classes, background class: background)"
    assert lines[1] == f"data      {data}: 12 clips of the model's classes"
    assert lines[2].startswith("accuracy  ") and lines[3].startswith("open set  threshold 0.340; ")
    assert lines[5].split() == ["#", "class", "clips", "accuracy"]
    assert [line.split()[1:3] for line in lines[6:9]] == [["arms_up", "4"], ["wave", "4"], ["background", "4"]]
    assert lines[10] == "confusion (rows: true class, columns: predicted class, by #)"
    assert lines[11].split() == ["0", "1", "2"]
    assert [sum(map(int, line.split()[1:])) for line in lines[12:15]] == [4, 4, 4]


def test_model_without_the_data_labels_and_bad_model(run_eval, model_and_data, tmp_path: Path) -> None:
    model, _ = model_and_data
    data = write_toy_dataset(tmp_path / "other", per_class=1, seed=0, labels=("wave",))
    (data / "wave").rename(data / "cartwheel")
    status, _, err = run_eval("--model", model, "--data", data)
    assert status == 2 and "labels the model does not know: cartwheel" in err
    (tmp_path / "junk.pt").write_bytes(b"junk")
    status, _, err = run_eval("--model", tmp_path / "junk.pt", "--data", data)
    assert status == 2 and "junk.pt: not a readable checkpoint" in err
    status, _, err = run_eval("--model", tmp_path / "missing.pt", "--data", data)
    assert status == 2 and "missing.pt" in err
