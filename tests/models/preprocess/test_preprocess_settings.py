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
    assert stored == {"max_timesteps": 120, "norm": "keypoint", "padding": "paper", "confidence": True,
                      "distances": False, "motion": []}
    assert PreprocessSettings.from_dict(stored) == settings
    body = PreprocessSettings(norm="body", confidence=True, distances=True, motion=[1, 2])
    assert body.motion == (1, 2)
    assert PreprocessSettings.from_dict(json.loads(json.dumps(body.to_dict()))) == body


def test_body_features_widths():
    """Coordinates (50 or 75), the trajectory (2), the 105 core distances, 50 per motion stride."""
    assert PreprocessSettings(norm="body").n_features == 52
    assert PreprocessSettings(norm="body", confidence=True, distances=True, motion=(1, 2)).n_features == \
        75 + 2 + 105 + 100


def test_version_1_settings_load_as_they_were_trained():
    """A version 1 checkpoint's settings lack the fields added since: they take the values
    that reproduce version 1's preprocessing, never today's defaults; version 2 needs them all."""
    old = {"max_timesteps": 281, "norm": "timestep", "padding": "corrected", "confidence": True}
    assert PreprocessSettings.from_dict(old, format_version=1) == PreprocessSettings(confidence=True)
    with pytest.raises(ValueError, match="distances: missing"):
        PreprocessSettings.from_dict(old, format_version=2)


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
    ("distances", "yes", "true or false"),
    ("motion", (0,), "positive frame strides"),
    ("motion", (1, 1), "distinct"),
    ("motion", 2, "strides"),
])
def test_bad_field_is_named(field, value, reason):
    with pytest.raises(ValueError, match=f"preprocess settings: {field}: .*{reason}"):
        PreprocessSettings(**{field: value})


def test_body_features_need_the_body_norm_and_corrected_padding():
    with pytest.raises(ValueError, match="distances: needs norm 'body'"):
        PreprocessSettings(distances=True)
    with pytest.raises(ValueError, match="motion: needs norm 'body'"):
        PreprocessSettings(norm="keypoint", motion=(1,))
    with pytest.raises(ValueError, match="padding: body normalisation"):
        PreprocessSettings(norm="body", padding="paper")


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
