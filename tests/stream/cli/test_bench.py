"""`skillstream bench`, run through a parser built here from the command's own `register`."""

import argparse
import json

import pytest

from skillstream.stream.cli import bench


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skillstream")
    bench.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_kernels_json(capsys):
    args = parse(["bench", "kernels", "--json", "--repeat", "2", "--batch", "4", "--seed", "5"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"batch", "compile_s", "results", "threads", "repeat", "seed"} <= result.keys()
    assert (result["batch"], result["repeat"], result["seed"]) == (4, 2, 5)
    assert result["threads"] >= 1 and result["compile_s"] >= 0
    assert len(result["results"]) == 5
    for row in result["results"]:
        assert row["norm"] in ("body", "keypoint", "timestep") and row["padding"] in ("paper", "corrected")
        for key in ("kernel_ms", "kernel_median_ms", "kernel_parallel_ms", "reference_ms", "ratio"):
            assert row[key] > 0, key


def test_kernels_text(capsys):
    args = parse(["bench", "kernels", "--repeat", "1", "--batch", "2"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("preprocessing kernels: batch of 2 windows")
    assert "corrected  timestep" in out and "paper      keypoint" in out


@pytest.mark.parametrize("argv", [["bench"], ["bench", "kernels", "--batch", "0"],
                                  ["bench", "kernels", "--repeat", "x"], ["bench", "pose", "--frames", "0"]])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_every_benchmark_module_has_the_protocol():
    import importlib

    for name in bench.BENCHMARKS:
        module = importlib.import_module(f"skillstream.stream.bench.{name}")
        assert module.__doc__ and module.DEFAULT_REPEAT >= 1
        assert callable(module.add_arguments) and callable(module.measure) and callable(module.format_text)
