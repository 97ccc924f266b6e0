"""The `skillstream` command line.

Each sub-command is a module of this package with `register(subparsers)`,
which adds its parser and sets `handler=run` (a function of the parsed
arguments returning the exit status). A new sub-command adds a module and
a line in `COMMANDS`, not a branch here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from skillstream.models.checkpoint import CheckpointError
from skillstream.models.keypoints.clip import KeypointDataError

COMMANDS = ("serve", "watch", "synth", "inspect", "bench", "train", "eval", "info", "import_jhmdb")


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skillstream", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:
        # The reader of our output went away (`| head`): stop quietly, and
        # keep Python from failing again while it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CommandError, KeypointDataError, CheckpointError, OSError) as error:  # OSError: files the user named
        print(f"skillstream {args.command}: error: {error}", file=sys.stderr)
        return 2
