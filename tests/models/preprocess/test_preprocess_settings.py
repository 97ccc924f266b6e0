import dataclasses
import json

import pytest

from skillstream.models.preprocess import PreprocessSettings


def test_defaults_are_the_corrected_paper_setup():
    settings = PreprocessSettings()
    assert (settings.max_timesteps, settings.norm, settings.padding, settings.confidence) == \
        (281, "timestep", "corrected", False)
    assert settings.n_features == 50
    assert PreprocessSettings(confidence=True).n_features == 75


def test_round_trip_through_json():
    settings = PreprocessSettings(max_timesteps=120, norm="keypoint", padding="paper", confidence=True)
    stored = json.loads(json.dumps(settings.to_dict()))
    assert stored == {"max_timesteps": 120, "norm": "keypoint", "padding": "paper", "confidence": True}
    assert PreprocessSettings.from_dict(stored) == settings


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PreprocessSettings().norm = "keypoint"  # type: ignore[misc]


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("max_timesteps", 0, "at least 1"),
    ("max_timesteps", -5, "at least 1"),
    ("max_timesteps", 281.0, "integer"),
    ("max_timesteps", True, "integer"),
    ("norm", "frame", "one of"),
    ("padding", "zeros", "one of"),
    ("confidence", 1, "true or false"),
])
def test_bad_field_is_named(field, value, reason):
    with pytest.raises(ValueError, match=f"preprocess settings: {field}: .*{reason}"):
        PreprocessSettings(**{field: value})


def test_from_dict_names_missing_and_unknown_fields():
    stored = PreprocessSettings().to_dict()
    del stored["padding"]
    with pytest.raises(ValueError, match="padding: missing"):
        PreprocessSettings.from_dict(stored)
    with pytest.raises(ValueError, match="normalisation: unknown field"):
        PreprocessSettings.from_dict({**PreprocessSettings().to_dict(), "normalisation": "keypoint"})
    with pytest.raises(ValueError, match="norm: must be one of"):
        PreprocessSettings.from_dict({**PreprocessSettings().to_dict(), "norm": "Keypoint"})
    with pytest.raises(ValueError, match="expected a mapping"):
        PreprocessSettings.from_dict([("norm", "keypoint")])  # type: ignore[arg-type]
