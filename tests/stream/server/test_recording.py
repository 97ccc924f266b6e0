"""Recording (`record.dir`, `serve --record`) and replay (`record:DIR`) through real servers and clients."""

import asyncio

import pytest

from skillstream.stream.record import RecordingError, read_recording
from tests.conftest import scaled_timeout

from .conftest import (ServeProcess, assert_same_skills, client_of, running_server, skill_events, truth,
                       wait_until)

SKILLS = {"streams": ["*"], "topics": ["skill"], "history": True}


async def replay_skills(classifier, folder) -> list[dict]:
    """Every message of `record:folder?pace=max` through a fresh server, up to its `stream_end`."""
    async with running_server(classifier, sources={"p": f"record:{folder}?pace=max"}) as server:
        async with client_of(server, SKILLS) as client:
            return await client.until_stream_end()


async def test_a_recorded_run_replays_to_the_same_skills(classifier, routine, tmp_path):
    record = tmp_path / "rec"
    overrides = {"sources": {"r": f"openpose:{routine}?pace=max"}, "record.dir": str(record)}
    async with running_server(classifier, **overrides) as server:
        async with client_of(server, SKILLS) as client:
            while "r" in server.streams:
                await asyncio.sleep(0.05)
            # Every event is queued for the client when the stream's task ends: read as many skills as it made.
            live = []
            while len(live) < server.ended["r"].skills:
                live.append(await client.recv_type("skill"))
    recording = read_recording(record / "r")
    assert not recording.truncated and recording.stream_id == "r"
    assert recording.index.tolist() == list(range(9000))
    assert (recording.meta["source"], recording.meta["fps"]) == (f"openpose:{routine}?pace=max", 30.0)
    assert len(live) >= 0.9 * len(truth(routine))
    recorded = skill_events(recording.events)
    assert_same_skills(recorded, skill_events(live))
    replayed = await replay_skills(classifier, record / "r")
    assert replayed[-1]["reason"] == "finished" and replayed[-1]["frames"] == 9000
    assert_same_skills(skill_events(replayed), recorded)


@pytest.mark.parametrize("ending", ["finished", "removed"])
async def test_a_recorded_stream_ends_with_stream_end_for_clients_and_in_the_recording(
        classifier, short_routine, tmp_path, ending):
    record = tmp_path / "rec"
    pace = "max" if ending == "finished" else "realtime"
    async with running_server(classifier, **{"record.dir": str(record), "server.token": "t"}) as server:
        async with client_of(server, SKILLS) as client:
            await client.send({"type": "add_stream", "id": "r", "source": f"openpose:{short_routine}?pace={pace}",
                               "token": "t"})
            await client.recv_type("stream_start")
            if ending == "removed":
                await client.send({"type": "remove_stream", "id": "r", "token": "t"})
            end = (await client.until_stream_end(timeout=5))[-1]
    assert (end["stream"], end["reason"]) == ("r", ending)
    events = read_recording(record / "r").events
    assert events[-1] == end


async def test_a_recording_cut_by_kill_9_replays_every_skill_it_holds(classifier, short_routine, tmp_path):
    record = tmp_path / "rec"

    def recorded_enough():
        try:
            recording = read_recording(record / "r")
        except RecordingError:  # not created yet
            return None
        if len(recording.index) >= 300 and skill_events(recording.events):
            return recording
        return None

    with ServeProcess(tmp_path, "--source", f"r=openpose:{short_routine}?pace=realtime", "--record",
                      str(record)) as serve:
        await asyncio.to_thread(wait_until, recorded_enough, 30, "300 frames and a skill in the recording", 0.2)
        serve.kill()
    recording = read_recording(record / "r")  # a partial last line is passed over
    assert len(recording.index) >= 300 and recording.index.tolist() == list(range(len(recording.index)))
    recorded = skill_events(recording.events)
    assert recorded
    replayed = await replay_skills(classifier, record / "r")
    assert replayed[-1]["reason"] == "finished" and replayed[-1]["frames"] == len(recording.index)
    # A segment open at the kill is closed by the end of the replay: it was never recorded as a skill.
    closed = skill_events([m for m in replayed if m["type"] == "skill" and m["cut"] != "stream_end"])
    # Skills closed by frames that were recorded, but classified after the kill, may come on top.
    assert_same_skills(closed[:len(recorded)], recorded)


async def test_while_recording_the_pipeline_sees_exactly_what_is_recorded(classifier, tmp_path):
    """Full-precision keypoints (an .npz routine) are rounded to the recording's
    precision before the segmenter, so that a replay sees the very same frames."""
    from skillstream.models.synth.routine import write_routine

    write_routine(tmp_path / "routine", 20, 31, fmt="npz")
    record = tmp_path / "rec"
    overrides = {"sources": {"r": f"npz:{tmp_path / 'routine' / 'routine.npz'}?pace=max"}, "record.dir": str(record)}
    async with running_server(classifier, **overrides) as server:
        async with asyncio.timeout(scaled_timeout(30)):
            while "r" not in server.ended:
                await asyncio.sleep(0.05)
        seen, index, _ = server.ended["r"].segmenter.ring.window(500, 599)  # (100, 25, 3)
    recording = read_recording(record / "r")
    assert index.tolist() == list(range(500, 600))
    assert (seen == recording.keypoints[500:600]).all()
