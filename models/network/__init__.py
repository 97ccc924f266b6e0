"""The skill classifier networks: the paper's baseline (`paper`) and the project's default (`default`).

Both take preprocessed windows `x` float32 (B, T, F) and validity masks
`mask` bool (B, T) and share one interface (`SkillNetwork`):
`sequence_outputs(x, mask) -> (logits (B, C), embedding (B, D))`,
`sequence_logits(x, mask) -> (B, C)`, `sequence_probabilities(x, mask)`,
`training_loss(x, mask, labels) -> scalar`, `n_classes`, `n_features`,
`arch` and `network_args` (a plain dict: `build_network(arch, network_args)`
rebuilds the network, e.g. from a checkpoint).
"""

from .base import SkillNetwork, count_parameters
from .default import DefaultNetwork, DefaultNetworkArgs
from .paper import PaperNetwork, PaperNetworkArgs
from .registry import ARCHITECTURES, build_network

__all__ = [
    "ARCHITECTURES", "DefaultNetwork", "DefaultNetworkArgs", "PaperNetwork", "PaperNetworkArgs",
    "SkillNetwork", "build_network", "count_parameters",
]
