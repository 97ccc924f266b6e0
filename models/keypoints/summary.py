"""What a clip or a dataset holds, as numbers: the data behind `skillstream inspect`.

No printing here; `to_dict()` gives plain JSON-ready values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import numpy as np

from .clip import Clip
from .dataset import Dataset
from .skeleton import BODY25_NAMES


@dataclass(frozen=True)
class ClipSummary:
    """One clip at a glance.

    frames_without_person: frames where the followed person is absent (every
        confidence 0), whether or not the source saw other people.
    frames_with_several_people: frames where the source saw more than one
        person (`Clip.people` > 1); frames_people_unknown: where it does not
        say (`Clip.people` == -1).
    mean_confidence: per BODY_25 point name, the followed person's confidence
        averaged over ALL frames, a frame without the person or without the
        point counting 0; so it measures how well and how often the point is
        seen. detected_fraction: per point name, the share of frames where the
        point is present (confidence > 0).
    """

    source: str
    label: str | None
    layout: str
    frames: int
    fps: float
    duration: float
    width: int
    height: int
    frames_without_person: int
    frames_with_several_people: int
    frames_people_unknown: int
    mean_confidence: dict[str, float]
    detected_fraction: dict[str, float]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset at a glance: totals only, no per-clip rows.

    frames_min / frames_median / frames_max: clip lengths in frames (None for
    a dataset without readable clips). layouts and clips_per_label count
    clips. skipped: the bad clips left out, as {"where", "reason"}.
    """

    root: str
    total_clips: int
    total_frames: int
    total_duration: float
    clips_per_label: dict[str, int]
    frames_min: int | None
    frames_median: float | None
    frames_max: int | None
    fps_values: list[float]
    layouts: dict[str, int]
    frames_without_person: int
    skipped: list[dict[str, str]]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def summarize_clip(clip: Clip) -> ClipSummary:
    """Summarise one clip (see `ClipSummary` for what each figure means)."""
    confidence = clip.keypoints[..., 2]  # (T, 25)
    frames = len(clip)
    mean_confidence = confidence.mean(axis=0) if frames else np.zeros(len(BODY25_NAMES))  # (25,)
    detected = (confidence > 0).mean(axis=0) if frames else np.zeros(len(BODY25_NAMES))  # (25,)
    return ClipSummary(
        source=clip.source,
        label=clip.label,
        layout=clip.layout,
        frames=frames,
        fps=float(clip.fps),
        duration=clip.duration,
        width=int(clip.width),
        height=int(clip.height),
        frames_without_person=_frames_without_person(clip),
        frames_with_several_people=int((clip.people > 1).sum()),
        frames_people_unknown=int((clip.people < 0).sum()),
        mean_confidence=dict(zip(BODY25_NAMES, mean_confidence.tolist())),
        detected_fraction=dict(zip(BODY25_NAMES, detected.tolist())),
    )


def summarize_dataset(dataset: Dataset) -> DatasetSummary:
    """Summarise a loaded dataset (see `DatasetSummary`)."""
    lengths = np.array([len(clip) for clip in dataset.clips], np.int64)  # (clips,)
    labels = [clip.label or "" for clip in dataset.clips]
    layouts = [clip.layout for clip in dataset.clips]
    return DatasetSummary(
        root=str(dataset.root),
        total_clips=len(dataset.clips),
        total_frames=int(lengths.sum()),
        total_duration=float(sum(clip.duration for clip in dataset.clips)),
        clips_per_label={label: labels.count(label) for label in sorted(set(labels))},
        frames_min=int(lengths.min()) if len(lengths) else None,
        frames_median=float(np.median(lengths)) if len(lengths) else None,
        frames_max=int(lengths.max()) if len(lengths) else None,
        fps_values=sorted({float(clip.fps) for clip in dataset.clips}),
        layouts={layout: layouts.count(layout) for layout in sorted(set(layouts))},
        frames_without_person=sum(_frames_without_person(clip) for clip in dataset.clips),
        skipped=[{"where": bad.where, "reason": bad.reason} for bad in dataset.skipped],
    )


def _frames_without_person(clip: Clip) -> int:
    return int((~(clip.keypoints[..., 2] > 0).any(axis=1)).sum())
