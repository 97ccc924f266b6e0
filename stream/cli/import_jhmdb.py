"""`skillstream import-jhmdb SRC.npz --out DIR`: JHMDB's packed joints -> a keypoint dataset.

SRC is one packed JHMDB split (poses, offsets, labels; see
`models.training.jhmdb`); DIR becomes `DIR/<label>/<label>_<index>.npz`,
keypoints in the jhmdb15 layout that the .npz reader maps into BODY_25.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skillstream.models.training.jhmdb import write_jhmdb_dataset

from . import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-jhmdb", help="convert a packed JHMDB split into a keypoint dataset",
        description="Write the clips of a packed JHMDB split (npz: poses, offsets, labels) as "
                    "DIR/<label>/<label>_<index>.npz in the jhmdb15 layout.")
    parser.add_argument("source", metavar="SRC.npz", help="packed JHMDB split, e.g. jhmdb_train_1.npz")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder: new or empty, so that no other clip mixes with these")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(f"{out}: exists and is not an empty folder; import-jhmdb writes only into a new "
                           "or empty one, so that no other clip mixes with these")
    counts = write_jhmdb_dataset(args.source, out)
    print(f"import-jhmdb: {sum(counts.values())} clips in {len(counts)} labels "
          f"({', '.join(f'{label} {count}' for label, count in sorted(counts.items()))}) -> {out}")
    return 0
