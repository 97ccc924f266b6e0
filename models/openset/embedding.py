"""The out-of-distribution detector: how far a window's embedding lies from the skills trained on.

The softmax of a closed-set network is confident far from its training
data: real walking, sitting and jumping come out as walkovers at 0.99. The
network's embedding (the pooled vector its head classifies,
`SkillNetwork.sequence_outputs`) does tell them apart: they land far from
every skill's training windows. The detector is a Mahalanobis distance with
class means and one shared covariance (Lee et al., 2018), fitted on the
training windows only, so it needs no examples of what is not a skill:

    distance(z, k) = sqrt((z - mean_k)^T precision (z - mean_k))

where k is the window's best skill, mean_k the mean embedding of the
training windows of class k and precision the inverse of the pooled
within-class covariance, shrunk towards its mean variance
(`(1 - shrinkage) S + shrinkage * trace(S) / D * I`) so that it stays
invertible with few windows per class. Training calibrates `limit` on the
validation skill windows that the network gets right
(`calibrate_limit`); serving rejects a window whose distance exceeds
`limit * margin` (`openset.ood_margin`: the segmenter's windows are cut
differently from training clips). The background class takes part in the
covariance but is never a window's best skill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_SHRINKAGE = 0.1


@dataclass(frozen=True)
class EmbeddingDetector:
    """Class means float32 (C, D) (rows of classes without windows are NaN),
    precision float32 (D, D), the calibrated distance `limit`, and the
    `accuracy_loss` it was calibrated for. Construction checks the shapes
    (ValueError naming the field)."""

    means: np.ndarray
    precision: np.ndarray
    limit: float
    accuracy_loss: float = 0.0

    def __post_init__(self) -> None:
        means = np.asarray(self.means, np.float32)
        precision = np.asarray(self.precision, np.float32)
        if means.ndim != 2 or means.shape[1] < 1:
            raise ValueError(f"means: expected (classes, dims), got {means.shape}")
        if precision.shape != (means.shape[1], means.shape[1]):
            raise ValueError(f"precision: expected ({means.shape[1]}, {means.shape[1]}), got {precision.shape}")
        if not np.isfinite(precision).all():
            raise ValueError("precision: NaN or infinity")
        if isinstance(self.limit, bool) or not isinstance(self.limit, (int, float)) or not self.limit > 0:
            raise ValueError(f"limit: expected a positive number, got {self.limit!r}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "limit", float(self.limit))

    @property
    def dims(self) -> int:
        return self.means.shape[1]

    def distances(self, embeddings: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """float32 (B,) distances of embeddings (B, D) to the means of their `classes` int (B,)."""
        offsets = np.asarray(embeddings, np.float32) - self.means[np.asarray(classes)]  # (B, D)
        # A matrix product, then a row sum (einsum's one loop over b, i, j is 30 times
        # slower), in torch: its threads are the network's, where NumPy's BLAS would wake
        # threads of its own against torch's spinning ones (a 4 ms scheduler wait a window).
        import torch

        offsets_t = torch.from_numpy(offsets)
        squared = ((offsets_t @ torch.from_numpy(self.precision)) * offsets_t).sum(dim=1).numpy()  # (B,)
        return np.sqrt(np.maximum(squared, 0.0))  # NaN where the class had no training window

    def to_dict(self) -> dict[str, Any]:
        """Checkpoint-ready values (tensors and floats); `from_dict` inverts it."""
        import torch  # here: the configuration imports this package, and needs no torch

        return {"means": torch.from_numpy(self.means.copy()), "precision": torch.from_numpy(self.precision.copy()),
                "limit": self.limit, "accuracy_loss": self.accuracy_loss}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EmbeddingDetector:
        """Rebuild from `to_dict()` output; ValueError naming the missing or bad field."""
        import torch

        for name in ("means", "precision", "limit", "accuracy_loss"):
            if name not in values:
                raise ValueError(f"{name}: missing")
        for name in ("means", "precision"):
            if not isinstance(values[name], torch.Tensor):
                raise ValueError(f"{name}: expected a tensor, got {type(values[name]).__name__}")
        return cls(values["means"].numpy(), values["precision"].numpy(), values["limit"], values["accuracy_loss"])


def fit_statistics(embeddings: np.ndarray, labels: np.ndarray, n_classes: int,
                   shrinkage: float = DEFAULT_SHRINKAGE) -> tuple[np.ndarray, np.ndarray]:
    """Class means (C, D) and the shrunk shared precision (D, D) of training
    embeddings (N, D) with class indices `labels` (N,)."""
    if not 0.0 < shrinkage <= 1.0:
        raise ValueError(f"shrinkage: expected a value in (0, 1], got {shrinkage}")
    z = np.asarray(embeddings, np.float64)  # (N, D)
    labels = np.asarray(labels)
    means = np.full((n_classes, z.shape[1]), np.nan)  # (C, D)
    residuals = []
    for k in range(n_classes):
        members = z[labels == k]  # (n_k, D)
        if len(members):
            means[k] = members.mean(axis=0)
            residuals.append(members - means[k])
    centred = np.concatenate(residuals)  # (N, D)
    covariance = centred.T @ centred / len(centred)  # (D, D)
    covariance = (1 - shrinkage) * covariance + shrinkage * np.trace(covariance) / len(covariance) * np.eye(len(covariance))
    return means.astype(np.float32), np.linalg.inv(covariance).astype(np.float32)


def calibrate_limit(distances: np.ndarray, correct: np.ndarray, accuracy_loss: float) -> float:
    """The smallest limit that turns away at most floor(accuracy_loss * n) of the
    n correct validation skill windows (`correct` bool over `distances`, which
    are their distances to their best skill's mean): one of their distances.
    Without any correct window: infinity (nothing is rejected)."""
    if not 0.0 <= accuracy_loss <= 1.0:
        raise ValueError(f"accuracy_loss: expected a fraction in [0, 1], got {accuracy_loss!r}")
    kept = np.sort(np.asarray(distances, np.float64)[np.asarray(correct, bool)])  # (n,) ascending
    kept = kept[np.isfinite(kept)]
    if not len(kept):
        return math.inf
    allowed = math.floor(accuracy_loss * len(kept) + 1e-9)  # a small tolerance against rounding
    return float(kept[len(kept) - 1 - min(allowed, len(kept) - 1)])
