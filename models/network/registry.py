"""Build a network by architecture name from its plain-dict arguments (what checkpoints store)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .base import SkillNetwork
from .default import DefaultNetwork
from .paper import PaperNetwork

ARCHITECTURES: dict[str, type[SkillNetwork]] = {cls.arch: cls for cls in (PaperNetwork, DefaultNetwork)}


def build_network(arch: str, network_args: Mapping[str, Any]) -> SkillNetwork:
    """A freshly initialised network of architecture `arch` built from `network_args`.

    `network_args` is the dict a network's `network_args` returns (stored in
    checkpoints beside `arch` and the state dict). Raises ValueError naming
    the architecture and the field when the name or an argument is wrong.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch: unknown architecture {arch!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    network_class = ARCHITECTURES[arch]
    fields = dataclasses.fields(network_class.Args)
    unknown = sorted(set(network_args) - {f.name for f in fields})
    missing = [f.name for f in fields
               if f.name not in network_args and f.default is dataclasses.MISSING]
    if unknown or missing:
        problems = ([f"unknown {', '.join(unknown)}"] if unknown else []) + \
                   ([f"missing {', '.join(missing)}"] if missing else [])
        raise ValueError(f"network_args for {arch!r}: {'; '.join(problems)}")
    try:
        args = network_class.Args(**network_args)
    except ValueError as error:
        raise ValueError(f"network_args for {arch!r}: {error}") from None
    return network_class(args)
