"""Training and evaluation of the skill classifier (docs/classifier.md).

- `data`: clips -> classes and label indices, the stratified seeded split,
  network inputs through `models.preprocess` (the code serving runs).
- `augment`: keypoint-level augmentation (mirror, view, speed, crop, jitter, drops).
- `loop`: `TrainConfig` (per-architecture defaults) and `train`.
- `metrics`: accuracy, per-class accuracy, confusion, open-set figures (`evaluate`).
- `report`: metrics.json, confusion.png, loss.png.
- `jhmdb`: JHMDB's packed joint files -> a keypoint dataset.
"""

from .augment import AugmentSettings, augment_window
from .data import BACKGROUND, carve_validation, class_names, encode_labels, preprocess_windows, stratified_split
from .jhmdb import read_jhmdb_split, write_jhmdb_dataset
from .loop import ARCH_DEFAULTS, EpochRecord, Progress, TrainConfig, TrainResult, train
from .metrics import accuracy, confusion_matrix, evaluate, per_class_accuracy
from .report import write_report

__all__ = [
    "ARCH_DEFAULTS", "AugmentSettings", "BACKGROUND", "EpochRecord", "Progress", "TrainConfig", "TrainResult",
    "accuracy", "augment_window", "carve_validation", "class_names", "confusion_matrix", "encode_labels",
    "evaluate", "per_class_accuracy", "preprocess_windows", "read_jhmdb_split", "stratified_split", "train",
    "write_jhmdb_dataset", "write_report",
]
