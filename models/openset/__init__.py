"""The open set: a window that is no skill must not come out as a skill.

- `probability`: the background class and the threshold on the best skill's
  probability (`open_set_decisions`, `calibrate_threshold`);
- `embedding`: the out-of-distribution detector on the network's embedding
  (Mahalanobis distance to the training skills, fitted and calibrated by
  training, stored in the checkpoint);
- `gates`: physical criteria per skill, measured on the keypoints (set in the
  server's configuration);
- `rule`: the three together, with the reason of every rejection.
"""

from .embedding import EmbeddingDetector, calibrate_limit, fit_statistics
from .gates import CRITERIA, GateSettings
from .probability import calibrate_threshold, open_set_decisions
from .rule import REASONS, OpenSetOptions, OpenSetRule, Verdict

__all__ = [
    "CRITERIA", "REASONS", "EmbeddingDetector", "GateSettings", "OpenSetOptions", "OpenSetRule", "Verdict", "calibrate_limit",
    "calibrate_threshold", "fit_statistics", "open_set_decisions",
]
