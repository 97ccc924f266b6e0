"""The stepper: clock-paced replays stepped in one task give what a task per stream gives."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from skillstream.config import load_config
from skillstream.models.synth.routine import write_routine
from skillstream.stream.server.hub import Hub
from skillstream.stream.server.pipeline import StreamPipeline
from skillstream.stream.server.stepper import Stepper
from skillstream.stream.sources import SourceEnded, create_source
from tests.conftest import scaled_timeout

from .conftest import running_server

SHORT_ROUTINE_S = 12
SHORT_ROUTINE_SEED = 7003


def segment_events(server, stream: str) -> list[tuple]:
    """What ended stream `stream` published about its segments: type, frames, label."""
    events = (json.loads(text) for _, text in server.ended[stream].history)
    return [(event["type"], event.get("start_frame"), event.get("end_frame"), event.get("label"))
            for event in events if event["type"] in ("segment_start", "segment_end", "skill")]


async def test_a_stepped_replay_gives_the_events_of_a_pulled_one(classifier, tmp_path):
    write_routine(tmp_path, SHORT_ROUTINE_S, SHORT_ROUTINE_SEED, fmt="npz")
    clip = tmp_path / "routine.npz"
    async with running_server(classifier) as server:
        await server.add_stream("pulled", f"npz:{clip}?pace=max")
        stepped = await server.add_stream("stepped", f"npz:{clip}?pace=realtime")
        await asyncio.sleep(0.1)  # the stream's task has started
        assert stepped.source.steppable and len(server.stepper) == 1
        deadline = asyncio.get_running_loop().time() + scaled_timeout(SHORT_ROUTINE_S + 30)
        while not {"pulled", "stepped"} <= server.ended.keys():
            assert asyncio.get_running_loop().time() < deadline, "the streams did not end"
            await asyncio.sleep(0.1)
        pulled, stepped_events = (segment_events(server, s) for s in ("pulled", "stepped"))
        assert server.ended["stepped"].frames_processed == server.ended["pulled"].frames_processed == 30 * SHORT_ROUTINE_S
        assert any(event[0] == "skill" for event in pulled)
        assert stepped_events == pulled
        assert server.stepper.ticks > 0 and len(server.stepper) == 0


class _FullClassifier:
    """A classifier service whose queue is full."""

    has_room = False


async def test_a_stream_held_back_by_the_classifier_loses_no_frame(tmp_path):
    write_routine(tmp_path, 10, SHORT_ROUTINE_SEED, fmt="npz")
    source = create_source(f"npz:{tmp_path / 'routine.npz'}", load_config().source_options)
    await source.start()
    pipeline = StreamPipeline("s", source, load_config(), Hub(), _FullClassifier(), pose=None)
    now = source.next_due() + 1.0  # 30 frames are due
    assert pipeline.step(now) == now  # held back: try again on the next tick
    assert pipeline.frames_processed == 0 and source.poll(now).index == 0


class _FakeSource:
    def __init__(self, frames: int) -> None:
        self.frames = frames

    def next_due(self) -> float:
        return 0.0


class _FakePipeline:
    """Takes `frames` frames, one per step, then ends, or fails at its `fail_at` step."""

    def __init__(self, frames: int, fail_at: int | None = None) -> None:
        self.source = _FakeSource(frames)
        self.steps = 0
        self.fail_at = fail_at

    def step(self, now: float) -> float:
        self.steps += 1
        if self.steps == self.fail_at:
            raise RuntimeError("broken stream")
        if self.steps > self.source.frames:
            raise SourceEnded
        return 0.0  # due again at once


async def test_a_failing_stream_ends_alone():
    stepper = Stepper(tick_s=0.001)
    good, bad = _FakePipeline(frames=20), _FakePipeline(frames=20, fail_at=3)
    try:
        results = await asyncio.wait_for(asyncio.gather(stepper.run_stream(good), stepper.run_stream(bad),
                                                        return_exceptions=True), scaled_timeout(10))
    finally:
        await stepper.close()
    assert results[0] is None and isinstance(results[1], RuntimeError)
    assert good.steps == 21 and bad.steps == 3 and len(stepper) == 0


async def test_cancelling_a_stream_takes_it_out():
    stepper = Stepper(tick_s=0.001)
    endless = _FakePipeline(frames=math.inf)
    task = asyncio.create_task(stepper.run_stream(endless))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    steps = endless.steps
    await asyncio.sleep(0.02)
    await stepper.close()
    assert steps > 0 and endless.steps == steps and len(stepper) == 0


def test_the_tick_must_be_positive():
    with pytest.raises(ValueError, match="tick_s"):
        Stepper(tick_s=0)
