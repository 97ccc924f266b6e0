"""`skillstream info MODEL.pt`: what a trained classifier checkpoint holds, as one JSON object."""

from __future__ import annotations

import argparse
import json
from typing import Any

from skillstream.models.checkpoint import FORMAT_VERSION, Checkpoint, load_checkpoint
from skillstream.models.network import count_parameters


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info", help="describe a trained classifier checkpoint (JSON)",
        description="Print a checkpoint's architecture, parameter count, classes, preprocessing settings, "
                    "open-set threshold and training summary as one JSON object.")
    parser.add_argument("model", metavar="MODEL.pt", help="checkpoint from skillstream train")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    checkpoint = load_checkpoint(args.model)
    print(json.dumps(describe(checkpoint), indent=2))
    return 0


def describe(checkpoint: Checkpoint) -> dict[str, Any]:
    """The JSON-ready description that `info` prints."""
    settings = checkpoint.preprocess
    return {
        "format_version": FORMAT_VERSION,
        "arch": checkpoint.network.arch,
        "params": count_parameters(checkpoint.network),
        "classes": list(checkpoint.classes),
        "n_classes": len(checkpoint.classes),
        "background": checkpoint.background,
        "threshold": checkpoint.threshold,
        "norm": settings.norm,
        "padding": settings.padding,
        "confidence": settings.confidence,
        "max_timesteps": settings.max_timesteps,
        "features": settings.n_features,
        "network_args": checkpoint.network.network_args,
        "seed": checkpoint.seed,
        "training": dict(checkpoint.training),
        "metrics": dict(checkpoint.metrics),
    }
