import asyncio
import json
import socket
import urllib.request

import pytest

from websockets.asyncio.client import connect

from skillstream.stream.core.matching import match_segments
from skillstream.stream.server import app as app_module
from skillstream.stream.sources import Frame, Source, SourceURI
from tests.conftest import scaled_timeout

from .conftest import client_of, running_server, truth

EVERYTHING = {"streams": ["*"], "topics": ["skill", "segment", "status"], "history": True}


def skills_of(messages):
    return [(m["label"], m["start_frame"], m["end_frame"]) for m in messages if m["type"] == "skill"]


async def test_routine_end_to_end_finds_the_skills(classifier, routine):
    async with running_server(classifier, sources={"r": f"openpose:{routine}?pace=max"}) as server:
        async with client_of(server, EVERYTHING) as client:
            messages = await client.until_stream_end()
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "stream_start" and kinds[-1] == "stream_end"
    assert messages[-1]["reason"] == "finished" and messages[-1]["frames"] == 9000
    match = match_segments(skills_of(messages), truth(routine), 0.5)
    assert match.f1 >= 0.9, match
    assert match.label_accuracy >= 0.9, match
    for message in messages:
        assert isinstance(message["server_time"], float) and message["stream"] == "r"
    # Every segment_start is closed by exactly one skill or segment_end with its start_frame,
    # after it (classification is asynchronous: the next segment may start first).
    starts = [m["start_frame"] for m in messages if m["type"] == "segment_start"]
    closes = [m["start_frame"] for m in messages if m["type"] in ("skill", "segment_end")]
    assert sorted(starts) == sorted(closes) and len(set(starts)) == len(starts)
    for message in messages:
        if message["type"] in ("skill", "segment_end"):
            assert kinds.index("segment_start") <= messages.index(message)
    skill = next(m for m in messages if m["type"] == "skill")
    assert len(skill["top"]) == 3 and skill["top"][0][0] == skill["label"] and skill["latency_ms"] >= 0


async def test_health_and_static_page_share_the_port(classifier):
    async with running_server(classifier) as server:
        base = f"http://127.0.0.1:{server.port}"

        def get(path):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status, response.headers["Content-Type"], response.read()

        status, kind, body = await asyncio.to_thread(get, "/health")
        assert status == 200 and kind == "application/json"
        assert json.loads(body)["status"] == "ok"
        status, kind, body = await asyncio.to_thread(get, "/")
        assert status == 200 and kind.startswith("text/html") and b"/ws" in body
        for path in ("/missing.html", "/../pyproject.toml", "/terminal.py"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                await asyncio.to_thread(get, path)
            assert caught.value.code == 404
            caught.value.close()


@pytest.mark.parametrize("data, code", [
    ("this is not json", "bad_json"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": "subscribe", "streams": ["nope"]}', "unknown_stream"),
    ('{"type": "subscribe", "topics": ["' + "x" * 70000 + '"]}', "too_large"),
    ('{"type": "add_stream", "id": "x", "source": "synth:", "token": "guess"}', "forbidden"),
    ('{"type": "remove_stream", "id": "x", "token": "guess"}', "forbidden"),
    (b"\xff\xfe binary", "bad_json"),
])
async def test_bad_messages_get_an_error_and_the_connection_goes_on(classifier, data, code):
    async with running_server(classifier, **{"server.token": "secret"}) as server:
        async with client_of(server) as client:
            await client.send(data) if isinstance(data, str) else await client.connection.send(data)
            error = await client.recv()
            assert (error["type"], error["code"]) == ("error", code)
            assert error["message"]
            await client.send({"type": "subscribe", "streams": ["*"], "topics": ["skill"]})
            assert (await client.recv())["type"] == "subscribed"


async def test_control_messages_need_the_token(classifier, routine):
    async with running_server(classifier, **{"server.token": "secret"}) as server:
        async with client_of(server, EVERYTHING) as client:
            await client.send({"type": "add_stream", "id": "r", "source": f"openpose:{routine}?pace=realtime",
                               "token": "secret"})
            added = await client.recv_type("stream_added")
            assert added["stream"] == "r" and added["source"].startswith("openpose:")
            await client.send({"type": "add_stream", "id": "r", "source": "synth:", "token": "secret"})
            assert (await client.recv_type("error"))["code"] == "stream_exists"
            await client.send({"type": "add_stream", "id": "s", "source": "openpose:/no/such/folder",
                               "token": "secret"})
            error = await client.recv_type("error")
            assert error["code"] == "source_error" and "/no/such/folder" in error["message"]
            await client.send({"type": "remove_stream", "id": "r", "token": "secret"})
            end = await client.recv_type("stream_end")
            assert (end["stream"], end["reason"]) == ("r", "removed")
            assert (await client.recv_type("stream_removed"))["stream"] == "r"
            assert "r" not in server.streams


async def test_control_messages_are_refused_without_a_configured_token(classifier):
    async with running_server(classifier) as server:
        async with client_of(server) as client:
            await client.send({"type": "add_stream", "id": "x", "source": "synth:", "token": ""})
            error = await client.recv_type("error")
            assert error["code"] == "forbidden" and "no server.token" in error["message"]


class FailingSource(Source):
    """Yields keypoint frames, then fails as a broken feed would."""

    def __init__(self, uri, fail_after):
        super().__init__(uri)
        self.fps = 30.0
        self.fail_after = fail_after
        self.sent = 0

    async def recv(self):
        await asyncio.sleep(0.001)
        if self.sent == self.fail_after:
            raise RuntimeError("feed broke")
        self.sent += 1
        import numpy as np
        return Frame(self.sent - 1, (self.sent - 1) / 30, keypoints=np.zeros((25, 3), np.float32))


async def test_a_failing_source_does_not_affect_other_streams(classifier, routine, monkeypatch):
    real_create = app_module.create_source

    def create(uri, options):
        if uri.startswith("broken:"):
            return FailingSource(SourceURI.parse(uri), fail_after=20)
        return real_create(uri, options)

    monkeypatch.setattr(app_module, "create_source", create)
    sources = {"bad": "broken:", "good": f"openpose:{routine}?pace=max"}
    async with running_server(classifier, sources=sources) as server:
        async with client_of(server, {"streams": ["good"], "topics": ["skill"], "history": True}) as good:
            async with client_of(server, {"streams": ["bad"], "topics": ["skill"], "history": True}) as bad:
                failure = await bad.recv_type("error")
                assert failure["code"] == "stream_failed" and "feed broke" in failure["message"]
                assert (await bad.recv_type("stream_end"))["reason"] == "failed"
            messages = await good.until_stream_end()
    assert messages[-1]["reason"] == "finished" and messages[-1]["frames"] == 9000
    assert match_segments(skills_of(messages), truth(routine), 0.5).f1 >= 0.9


async def test_a_client_that_never_reads_does_not_slow_the_others(classifier, routine):
    overrides = {"sources": {}, "clients.max_skipped_skill_events": 100000}
    async with running_server(classifier, **overrides) as server:
        # A tiny receive buffer: the kernel cannot absorb what the server sends, so
        # the stuck client's queue really fills.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        async with connect(f"ws://127.0.0.1:{server.port}/ws", sock=sock, max_queue=1) as stuck_connection:
            # Pose of every frame, never read: its queue fills and its pose messages are dropped.
            await stuck_connection.send(json.dumps(
                {"type": "subscribe", "streams": ["*"], "topics": ["pose", "skill"], "pose_fps": 0}))
            async with client_of(server, EVERYTHING) as reader:
                await server.add_stream("r", f"openpose:{routine}?pace=max")
                messages = await reader.until_stream_end(timeout=scaled_timeout(60))
                stuck = next(c for c in server.hub.clients if c.subscription and "pose" in c.subscription.topics)
                assert stuck.droppable_dropped > 1000 and stuck.depth <= server.config.clients.send_queue
            stuck_connection.transport.abort()  # it would never read the closing handshake either
    assert messages[-1]["frames"] == 9000
    assert not [m for m in messages if m["type"] == "error"]
    assert match_segments(skills_of(messages), truth(routine), 0.5).f1 >= 0.9


async def test_late_subscriber_gets_the_history_of_an_ended_stream(classifier, routine):
    async with running_server(classifier, sources={"r": f"openpose:{routine}?pace=max"}) as server:
        while server.streams:
            await asyncio.sleep(0.05)
        async with client_of(server) as client:
            await client.send({"type": "subscribe", "streams": ["r"], "topics": ["skill"], "history": True})
            assert (await client.recv())["type"] == "subscribed"
            messages = await client.until_stream_end()
    assert messages[0]["type"] == "stream_start"
    assert match_segments(skills_of(messages), truth(routine), 0.5).f1 >= 0.9


async def test_concurrent_adds_of_one_id_start_one_stream(classifier, routine):
    async with running_server(classifier) as server:
        uri = f"openpose:{routine}?pace=realtime"
        results = await asyncio.gather(server.add_stream("a", uri), server.add_stream("a", uri),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, app_module.StreamError)]
        assert len(errors) == 1 and errors[0].code == "stream_exists"
        assert list(server.streams) == ["a"]
        async with client_of(server, {"streams": ["a"], "topics": ["skill"]}) as client:
            await asyncio.gather(server.remove_stream("a"), server.remove_stream("a"), return_exceptions=True)
            assert (await client.recv_type("stream_end"))["reason"] == "removed"
            await client.send({"type": "subscribe", "streams": ["*"], "topics": ["skill"]})
            assert (await client.recv())["type"] == "subscribed"  # no second stream_end came before it
        assert not server.streams
