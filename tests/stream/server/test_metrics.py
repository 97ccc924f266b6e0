import asyncio
import re
import urllib.request

from .conftest import client_of, running_server

SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(\{(stream|stage)="(?P<label>[^"]+)"\})? (?P<value>[0-9.e+-]+)$')


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode()


def samples(text):
    """{(name, stream or stage or None): value}; every line is a comment or a valid sample."""
    found = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        found[match["name"], match["label"]] = float(match["value"])
    return found


async def test_metrics_count_each_live_stream_and_the_server(classifier, routine):
    async with running_server(classifier, sources={"r": f"openpose:{routine}?pace=realtime"}) as server:
        async with client_of(server, {"streams": ["*"], "topics": ["status"]}) as client:
            status = await client.recv_type("status")
            kind, first = await asyncio.to_thread(scrape, server.port)
            await asyncio.sleep(1.0)
            _, later = await asyncio.to_thread(scrape, server.port)
            kept_chars = sum(len(text) for _, text in server.streams["r"].history)
    assert status["frames_processed"] > 0 and status["segmenter_ms"] > 0 and status["classifier_queue"] == 0
    assert {"pose_ms", "classifier_ms", "send_ms", "queue_depth"} <= set(status)
    assert kind.startswith("text/plain; version=0.0.4")
    assert "# TYPE skillstream_frames_processed_total counter" in first
    assert "# TYPE skillstream_fps_in gauge" in first
    before, after = samples(first), samples(later)
    assert before["skillstream_streams", None] == 1 and before["skillstream_clients", None] == 1
    assert 0 < before["skillstream_frames_processed_total", "r"] < after["skillstream_frames_processed_total", "r"]
    assert 20 <= after["skillstream_fps_in", "r"] <= 40  # a 30 fps routine at its own pace
    assert after["skillstream_stream_clients", "r"] == 1
    assert after["skillstream_frames_dropped_total", "r"] == 0
    assert after["skillstream_segmenter_ms", "r"] > 0
    assert after["skillstream_history_chars", None] == kept_chars > 0  # stream_start at least
    # hello and subscribed are the client's events so far (status is droppable, not timed)
    assert after["skillstream_stage_calls_total", "send"] == 2
    assert after["skillstream_stage_seconds_total", "send"] > 0
    assert {("skillstream_stage_calls_total", stage) for stage in ("preprocess", "network", "classify")} <= set(after)
