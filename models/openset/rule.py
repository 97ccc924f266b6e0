"""The open-set rule: is a window a skill, and if not, why not.

Checks in this order; the first that fails is the window's `reason`:
1. `background`: the background class is the most probable;
2. `below_threshold`: the best skill's probability is below `threshold`;
3. `out_of_distribution`: the embedding is further from the best skill's
   training windows than the detector's limit times `ood_margin`
   (`embedding`); skipped without a detector;
4. `gate:<criterion>`: the keypoints fail a criterion of the best skill's
   gate (`gates`); skipped without gate settings.
Every measure is taken for every window, whatever fails first, so that an
operator sees how far each check was from its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .embedding import EmbeddingDetector
from .gates import GateSettings, check
from .probability import open_set_decisions

REASONS = ("background", "below_threshold", "out_of_distribution", "gate:<criterion>")


@dataclass(frozen=True)
class Verdict:
    """One window's answer. best_skill: class index of the most probable skill;
    confidence: its probability; reason: None for a skill, else the first failed
    check; distance: the embedding's distance to that skill (None without a
    detector); distance_limit: what it was held to; gates: criterion -> measure
    for the best skill's gate."""

    best_skill: int
    confidence: float
    reason: str | None
    distance: float | None = None
    distance_limit: float | None = None
    gates: dict[str, float] = field(default_factory=dict)

    @property
    def is_skill(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class OpenSetOptions:
    """What a classifier's caller chooses of the rule. threshold: instead of
    the checkpoint's (None: the checkpoint's); ood_margin: the detector's limit
    is multiplied by it (None: no out-of-distribution check); gates: the gate
    settings (None: no gates)."""

    threshold: float | None = None
    ood_margin: float | None = 1.0
    gates: GateSettings | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold: expected a probability in [0, 1], got {self.threshold}")
        if self.ood_margin is not None and not self.ood_margin > 0:
            raise ValueError(f"ood_margin: expected a positive number, got {self.ood_margin}")


@dataclass(frozen=True)
class OpenSetRule:
    """The rule's settings (see the module's docstring). classes: the model's,
    in output order; detector None and gates None skip those checks."""

    classes: tuple[str, ...]
    threshold: float
    background_index: int | None = None
    detector: EmbeddingDetector | None = None
    ood_margin: float = 1.0
    gates: GateSettings | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold: expected a probability in [0, 1], got {self.threshold}")
        if not self.ood_margin > 0:
            raise ValueError(f"ood_margin: expected a positive number, got {self.ood_margin}")

    @property
    def distance_limit(self) -> float | None:
        return None if self.detector is None else self.detector.limit * self.ood_margin

    def decide(self, probabilities: np.ndarray, embeddings: np.ndarray | None,
               windows: Sequence[np.ndarray]) -> list[Verdict]:
        """Verdicts of B windows (T_i, 25, 3) from their probabilities (B, C)
        and embeddings (B, D) (None: only without a detector)."""
        best, confidence, passes = open_set_decisions(probabilities, self.background_index, self.threshold)
        is_background = np.zeros(len(best), bool) if self.background_index is None else \
            np.asarray(probabilities).argmax(axis=1) == self.background_index  # (B,)
        distances = None
        if self.detector is not None:
            if embeddings is None:
                raise ValueError("embeddings: required by the out-of-distribution detector")
            distances = self.detector.distances(embeddings, best)  # (B,)
        limit = self.distance_limit
        verdicts = []
        for b, window in enumerate(windows):
            label = self.classes[best[b]]
            failed_gate, measures = check(window, label, self.gates) if self.gates is not None else (None, {})
            distance = None if distances is None else float(distances[b])
            if is_background[b]:
                reason = "background"
            elif not passes[b]:
                reason = "below_threshold"
            elif distance is not None and not distance <= limit:  # NaN (a class without training windows) fails
                reason = "out_of_distribution"
            elif failed_gate is not None:
                reason = f"gate:{failed_gate}"
            else:
                reason = None
            verdicts.append(Verdict(int(best[b]), float(confidence[b]), reason, distance, limit, measures))
        return verdicts
