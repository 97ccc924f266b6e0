"""Many keypoint streams on one server: the largest number that keeps real time.

`skillstream serve` runs as a subprocess (its CPU and memory are its own),
with no stream and a token. --routines synthetic routines (--routine-seconds
long, seeds --seed, --seed + 1, ...) are written once as .npz, and streams
replaying them in turn, looping, at 30 fps real time
(`npz:PATH?pace=realtime&loop=true`) are added by control messages, step by
step (--streams 10,25,50,...), with staggered starts, so that their skills
do not all close at once. One websocket client subscribed to every
stream's skills and status watches each step for --seconds seconds. With
--clients-per-stream K, K more clients per stream (scoreboards: skills of
that one stream, with the history) connect as the streams are added. A
step holds when:

- the p99 of the skills' `latency_ms` is under --max-latency-ms (100),
- no stream falls behind real time: at the end of the step every stream's
  processed frames are within half a second of what its time since start
  demands (recorded sources never drop; a late pipeline shows as lag), and
- no client missed a skill event: each scoreboard has every skill of its
  stream that the watcher had a second before the end of the step, and the
  server skipped no event for a slow client.

--soak-minutes M instead keeps one stream count (--streams N) for M minutes
and samples the server's resident memory, latency and CPU each minute:
memory must stay flat (no growth per frame or per event) apart from the
events each stream keeps for late subscribers, which grow until
`clients.history_events` per stream (an hour or so at the default 500);
the samples give their size (/metrics' skillstream_history_chars) beside
the resident memory, and --history-events N sets that bound for the run
(a small N is reached in the first minute: what grows after is a leak).

Printed per step: streams, skills seen, latency_ms p50/p99, the worst lag
(s), the server's CPU use (cores, its classifier worker process included,
from /proc), resident memory (the server process: total and per stream
beyond the idle server; the worker's apart), and the time per stage from
the server's /metrics: segmenter per frame (the mean over the streams of
their means over their last 100 frames, at the end of the step), over the
step the classifier's preprocessing kernels and network per batch
(and the mean batch), a window from submission to answer, an event's wait
in a client's queue. The run stops at the first step that does not hold.
Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

from skillstream.models.synth.routine import write_routine

from . import non_negative_int, positive_int, positive_minutes, routine_seconds

DEFAULT_REPEAT = 1
FPS = 30.0
MAX_LAG_S = 0.5
SETTLE_S = 1.0  # skills the watcher had this long before a step's end must have reached every scoreboard
SOAK_SAMPLE_S = 60.0
TOKEN = "bench"
URL_LINE = re.compile(rb"serving http://127\.0\.0\.1:(\d+)/")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", type=stream_counts, default="10,25,50,100,200,300,400,500",
                        help="stream counts to try, ascending, comma-separated (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each step (default: %(default)s)")
    parser.add_argument("--routine-seconds", type=routine_seconds, default=120.0,
                        help="the replayed routine's length (streams loop it; each holds its "
                             "frames: 1.08 MB for 120 s) (default: %(default)s)")
    parser.add_argument("--routines", type=positive_int, default=4,
                        help="distinct routines the streams replay in turn (default: %(default)s)")
    parser.add_argument("--max-latency-ms", type=float, default=100.0,
                        help="p99 latency_ms a step may reach (default: %(default)s)")
    parser.add_argument("--clients-per-stream", type=non_negative_int, default=0, metavar="K",
                        help="scoreboard clients per stream besides the watcher (default: %(default)s)")
    parser.add_argument("--history-events", type=positive_int, default=None, metavar="N",
                        help="the server's clients.history_events (default: the configuration's)")
    parser.add_argument("--soak-minutes", type=positive_minutes, default=None, metavar="M",
                        help="instead of steps: one stream count (--streams N) for M minutes, memory sampled "
                             "each minute (default: off)")


def stream_counts(text: str) -> list[int]:
    """An argparse type: ascending positive stream counts, comma-separated."""
    try:
        counts = [int(n) for n in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated stream counts, got {text!r}") from None
    if counts != sorted(set(counts)) or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"expected ascending positive stream counts, got {text!r}")
    return counts


def measure(args: argparse.Namespace) -> dict[str, Any]:
    counts = args.streams
    if args.soak_minutes is not None and len(counts) != 1:
        raise SystemExit("bench pipeline: --soak-minutes takes one stream count (--streams N)")
    with tempfile.TemporaryDirectory(prefix="skillstream-pipeline-") as scratch:
        folder = Path(scratch)
        clips = []
        for i in range(args.routines):
            write_routine(folder / f"routine{i}", args.routine_seconds, args.seed + i, fmt="npz")
            clips.append(folder / f"routine{i}" / "routine.npz")
        config = folder / "bench.toml"
        history = f"[clients]\nhistory_events = {args.history_events}\n" if args.history_events else ""
        config.write_text(f'[sources]\n[server]\ntoken = "{TOKEN}"\nmax_streams = {max(counts)}\n'
                          f'max_clients = {max(counts) * (args.clients_per_stream + 1) + 16}\n{history}')
        steps, soak = asyncio.run(_run(config, clips, counts, args))
    held = [step["streams"] for step in steps if step["held"]]
    return {"benchmark": "pipeline", "routines": args.routines, "seconds_per_step": args.seconds,
            "max_latency_ms": args.max_latency_ms, "clients_per_stream": args.clients_per_stream,
            "largest_streams_held": max(held) if held else 0, "steps": steps, "soak": soak, "cores": os.cpu_count()}


async def _run(config: Path, clips: list[Path], counts: list[int],
               args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    process = subprocess.Popen([sys.executable, "-m", "skillstream.stream", "serve", "--port", "0",
                                "--config", str(config), "--log-level", "WARNING"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        port = int(URL_LINE.search(await asyncio.to_thread(process.stdout.readline)).group(1))
        idle_rss = _rss_bytes(process.pid)
        async with connect(f"ws://127.0.0.1:{port}/ws", max_size=1 << 24, max_queue=None) as ws:
            watcher = _Watcher(ws)
            await ws.recv()  # hello
            await ws.send(json.dumps({"type": "subscribe", "streams": ["*"], "topics": ["skill", "status"]}))
            reader = asyncio.create_task(watcher.read())
            scoreboards: list[_Scoreboard] = []
            steps, soak = [], None
            added = 0
            try:
                for count in counts:
                    for n in range(added, count):
                        source = f"npz:{clips[n % len(clips)]}?pace=realtime&loop=true"
                        await ws.send(json.dumps({"type": "add_stream", "id": f"s{n}", "source": source,
                                                  "token": TOKEN}))
                        await asyncio.sleep(min(1.0 / FPS, args.seconds / 10 / max(count, 1)))  # staggered starts
                    if args.clients_per_stream:
                        await watcher.wait_started([f"s{n}" for n in range(added, count)])
                    for n in range(added, count):
                        for _ in range(args.clients_per_stream):
                            scoreboards.append(await _Scoreboard.connect(port, f"s{n}"))
                    added = count
                    if args.soak_minutes is not None:
                        soak = await _soak(process.pid, port, watcher, args.soak_minutes)
                        break
                    step = await _step(process.pid, port, watcher, scoreboards, count, args.seconds, idle_rss)
                    step["held"] = ((step["latency_ms"]["p99"] or 0) < args.max_latency_ms
                                    and step["worst_lag_s"] <= MAX_LAG_S and step["clients"]["skills_missing"] == 0
                                    and step["clients"]["events_skipped"] == 0)
                    steps.append(step)
                    if not step["held"]:
                        break
            finally:
                reader.cancel()
                for scoreboard in scoreboards:
                    await scoreboard.close()
        return steps, soak
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


class _Watcher:
    """Collects what one client of every stream sees: skill latencies, when
    each skill arrived, each stream's last status."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.started: dict[str, float] = {}  # stream -> started_at of its stream_start
        self.latencies: list[float] = []
        self.skills: dict[str, dict[int, float]] = {}  # stream -> end_frame -> time.monotonic() of arrival
        self.status: dict[str, dict] = {}

    def worst_lag_s(self) -> float:
        """The worst lag of the streams' last status (see `_lag_s`)."""
        lags = [_lag_s(status, self.started.get(stream)) for stream, status in list(self.status.items())]
        return round(max(lags, default=0.0), 3)

    async def wait_started(self, streams: list[str], timeout_s: float = 120.0) -> None:
        """Return once every one of `streams` has started (a scoreboard can only subscribe to a known stream)."""
        deadline = time.monotonic() + timeout_s
        while any(stream not in self.started for stream in streams):
            if time.monotonic() > deadline:
                raise RuntimeError(f"bench pipeline: streams not started after {timeout_s:g} s")
            await asyncio.sleep(0.1)

    async def read(self) -> None:
        async for text in self.ws:
            message = json.loads(text)
            kind = message["type"]
            if kind == "skill":
                self.latencies.append(message["latency_ms"])
                self.skills.setdefault(message["stream"], {})[message["end_frame"]] = time.monotonic()
            elif kind == "status":
                self.status[message["stream"]] = message
            elif kind == "stream_start":
                self.started[message["stream"]] = message["started_at"]


class _Scoreboard:
    """A client of one stream's skills (with the stream's history), as a scoreboard is."""

    def __init__(self, ws, stream: str) -> None:
        self.ws = ws
        self.stream = stream
        self.skills: set[int] = set()  # end frames
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int, stream: str) -> _Scoreboard:
        ws = await connect(f"ws://127.0.0.1:{port}/ws", max_size=1 << 24, max_queue=None)
        await ws.recv()  # hello
        await ws.send(json.dumps({"type": "subscribe", "streams": [stream], "topics": ["skill"], "history": True}))
        reply = json.loads(await ws.recv())
        if reply["type"] != "subscribed":
            raise RuntimeError(f"bench pipeline: a scoreboard of {stream} could not subscribe: {reply}")
        return cls(ws, stream)

    async def _read(self) -> None:
        async for text in self.ws:
            message = json.loads(text)
            if message["type"] == "skill":
                self.skills.add(message["end_frame"])

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


def _missing(watcher: _Watcher, scoreboards: list[_Scoreboard]) -> tuple[int, int]:
    """(skills expected, skills missing) over the scoreboards: every skill of
    its stream the watcher had SETTLE_S ago."""
    settled = time.monotonic() - SETTLE_S
    expected = missing = 0
    for scoreboard in scoreboards:
        due = [frame for frame, arrived in watcher.skills.get(scoreboard.stream, {}).items() if arrived <= settled]
        expected += len(due)
        missing += sum(frame not in scoreboard.skills for frame in due)
    return expected, missing


async def _step(pid: int, port: int, watcher: _Watcher, scoreboards: list[_Scoreboard], count: int,
                seconds: float, idle_rss: int) -> dict[str, Any]:
    watcher.latencies.clear()
    metrics_before = await asyncio.to_thread(scrape_metrics, port)
    cpu_before, wall_before = _tree_cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    cores = (_tree_cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    metrics_after = await asyncio.to_thread(scrape_metrics, port)
    rss = _rss_bytes(pid)
    latencies = watcher.latencies
    expected, missing = _missing(watcher, scoreboards)
    return {
        "streams": count, "skills": len(latencies),
        "latency_ms": {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99)},
        "worst_lag_s": watcher.worst_lag_s(), "server_cores": round(cores, 3),
        "rss_mb": round(rss / 2**20, 1), "rss_per_stream_mb": round((rss - idle_rss) / 2**20 / count, 3),
        "worker_rss_mb": _worker_rss_mb(pid),
        "stages_ms": stage_means(metrics_before, metrics_after),
        "clients": {"connected": int(metrics_after["skillstream_clients", ""]), "scoreboards": len(scoreboards),
                    "skills_expected": expected, "skills_missing": missing,
                    "events_skipped": int(metrics_after["skillstream_client_events_skipped_total", ""])},
    }


async def _soak(pid: int, port: int, watcher: _Watcher, minutes: float) -> list[dict[str, Any]]:
    """Samples at the start and after each minute of `minutes`: resident
    memory (server and worker), the kept history's size (MB of characters),
    and over the minute: skills, p99 latency_ms, cores, the worst lag."""
    samples = []
    watcher.latencies.clear()  # the streams' start is not part of the first sample
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        cpu = _tree_cpu_seconds(pid)
        history = (await asyncio.to_thread(scrape_metrics, port))["skillstream_history_chars", ""]
        samples.append({"minute": round(elapsed / 60, 2), "rss_mb": round(_rss_bytes(pid) / 2**20, 1),
                        "history_mb": round(history / 2**20, 2), "worker_rss_mb": _worker_rss_mb(pid),
                        "skills": len(watcher.latencies), "p99_latency_ms": _percentile(watcher.latencies, 99),
                        "worst_lag_s": watcher.worst_lag_s()})
        watcher.latencies.clear()
        if elapsed >= minutes * 60 - 1:
            return samples
        measured_from = time.monotonic()
        await asyncio.sleep(min(SOAK_SAMPLE_S, minutes * 60 - elapsed))
        samples[-1]["cores_next"] = round((_tree_cpu_seconds(pid) - cpu) / (time.monotonic() - measured_from), 3)


def scrape_metrics(port: int) -> dict[tuple[str, str], float]:
    """The server's /metrics as {(name, label value or ""): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            name, _, label = series.partition("{")
            samples[name, label.partition('"')[2].rpartition('"')[0]] = float(value)
    return samples


def stage_means(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> dict[str, float | None]:
    """Mean ms per call of each stage between two scrapes; the segmenter's per
    frame (the mean of the streams' recent means); the classifier's mean batch."""
    def per_call(stage: str) -> float | None:
        calls = after.get(("skillstream_stage_calls_total", stage), 0) - before.get(("skillstream_stage_calls_total", stage), 0)
        seconds = after.get(("skillstream_stage_seconds_total", stage), 0) - before.get(("skillstream_stage_seconds_total", stage), 0)
        return round(seconds / calls * 1e3, 3) if calls > 0 else None

    segmenter = [value for (name, _), value in after.items() if name == "skillstream_segmenter_ms"]
    batches = after[("skillstream_classifier_batches_total", "")] - before[("skillstream_classifier_batches_total", "")]
    windows = after[("skillstream_classifier_windows_total", "")] - before[("skillstream_classifier_windows_total", "")]
    return {"segmenter_per_frame": round(float(np.mean(segmenter)), 4) if segmenter else None,
            "preprocess_per_batch": per_call("preprocess"), "network_per_batch": per_call("network"),
            "mean_batch": round(windows / batches, 2) if batches else None,
            "classify_per_window": per_call("classify"), "send_per_event": per_call("send")}


def _lag_s(status: dict[str, Any], started_at: float | None) -> float:
    """How far a real-time replay is behind: the time since its first frame
    minus the time of the frames it has taken (a pacer only falls behind
    when the pipeline cannot keep up)."""
    if started_at is None:
        return 0.0
    return max(0.0, (status["server_time"] - started_at) - status["frames_in"] / FPS)


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from /proc (the classifier worker, and
    multiprocessing's resource tracker)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _worker_rss_mb(pid: int) -> float:
    """Resident memory of the classifier worker process(es) of server `pid`, MB."""
    total = 0
    for child in _children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():  # not the resource tracker
                total += _rss_bytes(child)
        except FileNotFoundError:  # ended meanwhile
            pass
    return round(total / 2**20, 1)


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid`, its running children and the children it has
    reaped (a replaced worker's time stays counted)."""
    total = 0.0
    for process in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if process == pid:
            ticks += int(fields[13]) + int(fields[14])  # cutime + cstime
        total += ticks / os.sysconf("SC_CLK_TCK")
    return total


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def format_text(result: dict[str, Any]) -> str:
    lines = [f"pipeline: {result['routines']} npz routines replayed in a loop at 30 fps real time, "
             f"{result['cores']} cores; the server's classifier worker process counts in its cores"]
    if result["soak"] is not None:
        lines.append("soak: minute  RSS MB  history MB  worker MB  skills  p99 ms  worst lag s  cores (next minute)")
        for sample in result["soak"]:
            lines.append(f"{sample['minute']:>12}  {sample['rss_mb']:>6}  {sample['history_mb']:>10}  {sample['worker_rss_mb']:>9}  "
                         f"{sample['skills']:>6}  {sample['p99_latency_ms']!s:>6}  {sample['worst_lag_s']:>11}  "
                         f"{sample.get('cores_next', '')!s:>5}")
        first, last = result["soak"][min(1, len(result["soak"]) - 1)], result["soak"][-1]
        lines.append(f"soak: from minute {first['minute']:g} to {last['minute']:g}: RSS {first['rss_mb']} -> "
                     f"{last['rss_mb']} MB, of which the kept history {first['history_mb']} -> {last['history_mb']} MB")
        return "\n".join(lines)
    lines += [f"{result['seconds_per_step']:g} s per step; a step holds with p99 latency_ms < "
              f"{result['max_latency_ms']:g}, no stream more than {MAX_LAG_S} s behind and no skill event lost",
              "streams  skills  p50 ms  p99 ms  worst lag s  server cores  RSS MB  MB/stream  worker MB  held"]
    for step in result["steps"]:
        lines.append(f"{step['streams']:>7}  {step['skills']:>6}  {step['latency_ms']['p50']!s:>6}  "
                     f"{step['latency_ms']['p99']!s:>6}  {step['worst_lag_s']:>11}  {step['server_cores']:>12}  "
                     f"{step['rss_mb']:>6}  {step['rss_per_stream_mb']:>9}  {step['worker_rss_mb']:>9}  "
                     f"{'yes' if step['held'] else 'NO'}")
    lines.append("stage times, ms: streams  segmenter/frame  preprocess/batch  network/batch  mean batch  "
                 "classify/window  send/event")
    for step in result["steps"]:
        stages = step["stages_ms"]
        lines.append(f"{step['streams']:>24}  {stages['segmenter_per_frame']!s:>15}  {stages['preprocess_per_batch']!s:>16}  "
                     f"{stages['network_per_batch']!s:>13}  {stages['mean_batch']!s:>10}  "
                     f"{stages['classify_per_window']!s:>15}  {stages['send_per_event']!s:>10}")
    if result["clients_per_stream"]:
        lines.append("clients: streams  connected  scoreboards  skills expected  missing  events skipped")
        for step in result["steps"]:
            clients = step["clients"]
            lines.append(f"{step['streams']:>16}  {clients['connected']:>9}  {clients['scoreboards']:>11}  "
                         f"{clients['skills_expected']:>15}  {clients['skills_missing']:>7}  {clients['events_skipped']:>14}")
    lines.append(f"largest number of streams that held: {result['largest_streams_held']}")
    return "\n".join(lines)
