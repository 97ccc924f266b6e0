"""The shipped model (models/pretrained/default.pt) loads, says what it is,
and recognises fresh synthetic clips that it never saw."""

from __future__ import annotations

import numpy as np

from skillstream.config import load_config
from skillstream.models.checkpoint import load_checkpoint
from skillstream.models.inference import DEFAULT_MODEL, Classifier
from skillstream.models.network import count_parameters
from skillstream.models.synth import BACKGROUND, SKILL_NAMES, clip_rng, generate_clip
from tests.models.training.toydata import restore_torch_threads  # noqa: F401

# Seed 1000 is not among the seeds the model was trained on (0); 3 clips of each class.
FRESH_SEED, PER_CLASS = 1000, 3


def test_the_shipped_model_is_the_default_architecture_with_an_open_set() -> None:
    checkpoint = load_checkpoint(DEFAULT_MODEL)
    assert checkpoint.network.arch == "default"
    assert checkpoint.classes == (*sorted(SKILL_NAMES), BACKGROUND)
    assert checkpoint.background == BACKGROUND and 0 < checkpoint.threshold < 1
    assert checkpoint.preprocess.max_timesteps == 281 and checkpoint.preprocess.padding == "corrected"
    assert count_parameters(checkpoint.network) < 1_000_000
    assert checkpoint.detector is not None and checkpoint.detector.means.shape[0] == len(checkpoint.classes)


def test_the_shipped_model_recognises_fresh_synthetic_skills(restore_torch_threads) -> None:
    # As the server serves it: model.threshold and [openset] of the default configuration
    # (the checkpoint's own threshold comes from the selection run, before the refit).
    config = load_config()
    classifier = Classifier.load(DEFAULT_MODEL, threads=2,
                                 options=config.openset.options(config.model.threshold_override))
    skills = [generate_clip(label, clip_rng(FRESH_SEED, label, i)) for label in SKILL_NAMES for i in range(PER_CLASS)]
    predictions = classifier.classify([clip.keypoints for clip in skills])
    right = np.mean([p.is_skill and p.label == clip.label for p, clip in zip(predictions, skills)])
    assert right >= 0.9, right
    others = [generate_clip(BACKGROUND, clip_rng(FRESH_SEED, BACKGROUND, i)) for i in range(10)]
    reported_as_skills = sum(p.is_skill for p in classifier.classify([clip.keypoints for clip in others]))
    assert reported_as_skills <= 1
