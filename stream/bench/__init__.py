"""Benchmarks behind `skillstream bench NAME`: one module per benchmark.

A benchmark module has a docstring (its first line is the help text) and:

- `DEFAULT_REPEAT`: timed repetitions when `--repeat` is not given;
- `add_arguments(parser)`: its own options (the command adds `--json`,
  `--repeat` and `--seed` to every benchmark);
- `measure(args) -> dict`: runs it; plain JSON-ready values, times in ms;
- `format_text(result) -> str`: the human-readable report of that dict.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path


def _int_at_least(low: int, expected: str) -> Callable[[str], int]:
    """An argparse type: an integer of at least `low` (`expected` names it in errors)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


positive_int = _int_at_least(1, "a positive integer")
non_negative_int = _int_at_least(0, "an integer of at least 0")


def positive_minutes(text: str) -> float:
    """An argparse type: a duration in minutes, above 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected minutes above 0, got {text!r}")
    return value


def routine_seconds(text: str) -> float:
    """An argparse type: a synthetic routine's length in seconds (ROUTINE_SECONDS)."""
    from skillstream.models.synth.routine import ROUTINE_SECONDS

    low, high = ROUTINE_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"a routine lasts {low:g} to {high:g} s, got {value:g}")
    return value


def shared_data_folder() -> Path:
    """The folder of real third-party data: $SKILLSTREAM_SHARED_DATA, else ../shared/data beside
    the checkout (it may not exist: benchmarks that need it say so)."""
    repo = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("SKILLSTREAM_SHARED_DATA", repo.parent / "shared" / "data"))


def times_ms(call: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds of `repeat` calls of `call`, one by one."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e3)
    return times
