"""Real everyday motion through the server: its segments are turned away, each with its reason."""

from __future__ import annotations

from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.npz import write_npz
from skillstream.stream.bench.openset import jhmdb_streams

from .conftest import client_of, running_server

EVERYTHING = {"streams": ["*"], "topics": ["skill", "segment"], "history": True}
REASONS = {"background", "below_threshold", "out_of_distribution"}


async def test_everyday_motion_is_no_skill_and_says_why(classifier, shared_data, tmp_path):
    # JHMDB's 176 test clips of split 1 (walking, sitting, picking up, jumping, ...) joined into one stream.
    (name, keypoints, fps), *_ = jhmdb_streams(shared_data / "jhmdb" / "jhmdb_test_1.npz", minutes=10.0, seed=0)
    path = tmp_path / "everyday.npz"
    write_npz(Clip(keypoints, fps, 1280, 720, source=name), path)
    async with running_server(classifier, sources={"jh": f"npz:{path}?pace=max"}) as server:
        async with client_of(server, EVERYTHING) as client:
            messages = await client.until_stream_end()
    rejected = [m for m in messages if m["type"] == "segment_end" and m["outcome"] == "no_skill"]
    skills = [m for m in messages if m["type"] == "skill"]
    minutes = len(keypoints) / fps / 60
    assert len(rejected) >= 20  # the segmenter proposes plenty on this motion
    assert len(skills) <= 0.2 * minutes, skills  # the open set turns them away
    for message in rejected:
        assert message["reason"] in REASONS or message["reason"].startswith("gate:"), message
        assert message["label"] in classifier.classes and 0 <= message["confidence"] <= 1
        if message["reason"] == "out_of_distribution":
            assert message["ood_distance"] > message["ood_limit"]
        if message["reason"].startswith("gate:"):
            criterion = message["reason"][len("gate:"):]
            assert criterion in message["gates"]
