"""`skillstream bench NAME`: measure one part of the pipeline and report the figures."""

from __future__ import annotations

import argparse
import importlib
import json

from skillstream.stream.bench import positive_int

# Modules of skillstream.stream.bench; a new benchmark adds its name here.
BENCHMARKS = ("kernels", "classifier", "segmenter", "pose", "routine", "pipeline", "keras", "openset", "jhmdb")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="measure one part of the pipeline", description=__doc__)
    benchmarks = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name in BENCHMARKS:
        module = importlib.import_module(f"skillstream.stream.bench.{name}")
        sub = benchmarks.add_parser(name, help=module.__doc__.splitlines()[0], description=module.__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        sub.add_argument("--repeat", type=positive_int, default=module.DEFAULT_REPEAT,
                         help="timed repetitions of each measurement (default %(default)s)")
        sub.add_argument("--seed", type=int, default=0, help="seed of the random test data (default %(default)s)")
        module.add_arguments(sub)
        sub.set_defaults(handler=run, bench_module=module)


def run(args: argparse.Namespace) -> int:
    result = args.bench_module.measure(args)
    print(json.dumps(result) if args.json else args.bench_module.format_text(result))
    return 0
