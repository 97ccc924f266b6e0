import asyncio
import json

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.server.hub import SLOW_CLIENT_CLOSE_CODE, ClientSession, Hub
from skillstream.stream.server.protocol import Subscribe, server_message


class FakeConnection:
    """Records what is sent; `send` blocks while `blocked` (a client that does not read)."""

    def __init__(self):
        self.sent = []
        self.closed = None
        self.unblocked = asyncio.Event()
        self.unblocked.set()

    async def send(self, text):
        await self.unblocked.wait()
        self.sent.append(json.loads(text))

    async def close(self, code=1000, reason=""):
        self.closed = (code, reason)


def settings(**changes):
    return load_config(overrides={f"clients.{k}": v for k, v in changes.items()}).clients


def subscribed(connection, streams=None, topics=("skill", "segment", "pose", "status"), pose_fps=0.0, **changes):
    client = ClientSession(connection, settings(**changes))
    client.subscribe(Subscribe(streams, frozenset(topics), pose_fps))
    return client


def skill(n, stream="a"):
    return server_message("skill", stream, n=n)


async def drain(client):
    task = asyncio.create_task(client.run_sender())
    for _ in range(20):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_messages_reach_only_matching_subscriptions():
    hub = Hub()
    a, b, silent = FakeConnection(), FakeConnection(), FakeConnection()
    clients = [subscribed(a, frozenset({"a"})), subscribed(b, None, topics=("status",)),
               ClientSession(silent, settings())]
    for client in clients:
        hub.add(client)
    assert hub.publish(skill(1, "a")) == 1
    assert hub.publish(skill(2, "b")) == 0
    assert hub.publish(server_message("status", "b", fps_in=30)) == 1
    assert hub.publish(server_message("stream_end", "a")) == 2  # no topic: every subscriber of the stream
    for client in clients:
        await drain(client)
    assert [(m["type"], m["stream"]) for m in a.sent] == [("skill", "a"), ("stream_end", "a")]
    assert [(m["type"], m["stream"]) for m in b.sent] == [("status", "b"), ("stream_end", "a")]
    assert silent.sent == []


async def test_a_new_subscription_moves_the_client_and_a_removed_client_gets_nothing():
    hub = Hub()
    connection = FakeConnection()
    client = subscribed(connection, frozenset({"a"}))
    hub.add(client)
    assert hub.subscribers("a") == 1 and hub.subscribers("b") == 0
    hub.subscribe(client, Subscribe(frozenset({"b", "c"}), frozenset({"skill"}), 0.0))
    assert hub.subscribers("a") == 0 and hub.subscribers("b") == hub.subscribers("c") == 1
    assert hub.publish(skill(1, "a")) == 0 and hub.publish(skill(2, "b")) == 1
    hub.subscribe(client, Subscribe(None, frozenset({"skill"}), 0.0))
    assert hub.publish(skill(3, "a")) == 1 and hub.publish(skill(4, "z")) == 1
    hub.remove(client)
    assert hub.publish(skill(5, "a")) == 0 and hub.subscribers("b") == 0
    await drain(client)
    assert [m["n"] for m in connection.sent] == [2, 3, 4]
    with pytest.raises(ValueError, match="not in the hub"):
        hub.subscribe(client, Subscribe(None, frozenset({"skill"}), 0.0))


async def test_send_time_counts_each_event_written_and_no_pose():
    hub = Hub()
    connection = FakeConnection()
    client = subscribed(connection)
    hub.add(client)
    hub.publish_pose("a", 0, 0.0, np.zeros((25, 3), np.float32))
    hub.publish(skill(1))
    hub.publish(skill(2))
    await drain(client)
    assert len(connection.sent) == 3
    assert hub.send_time.calls == 2 and hub.send_time.seconds > 0


async def test_pose_rate_follows_the_clients_pose_fps():
    hub = Hub()
    every, ten = FakeConnection(), FakeConnection()
    hub.add(subscribed(every, pose_fps=0.0))
    hub.add(subscribed(ten, pose_fps=10.0))
    keypoints = np.zeros((25, 3), np.float32)
    for frame in range(30):  # one second at 30 fps
        hub.publish_pose("a", frame, frame / 30, keypoints)
    for client in list(hub.clients):
        await drain(client)
    assert [m["frame"] for m in every.sent] == list(range(30))
    assert [m["frame"] for m in ten.sent] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]


async def test_full_queue_drops_pose_first_and_keeps_every_event():
    connection = FakeConnection()
    client = subscribed(connection, send_queue=4)
    keypoints = np.zeros((25, 3), np.float32)
    hub = Hub()
    hub.add(client)
    for frame in range(3):
        hub.publish_pose("a", frame, frame / 30, keypoints)
    for n in range(3):
        hub.publish(skill(n))
    assert client.depth == 4
    assert client.droppable_dropped == 2 and client.events_skipped == 0
    await drain(client)
    assert [(m["type"], m.get("n", m.get("frame"))) for m in connection.sent] == [
        ("pose", 2), ("skill", 0), ("skill", 1), ("skill", 2)]


async def test_slow_client_is_told_then_disconnected():
    connection = FakeConnection()
    client = subscribed(connection, send_queue=4, max_skipped_skill_events=2)
    hub = Hub()
    hub.add(client)
    for n in range(6):  # 4 fit, 2 skipped: told, still connected
        hub.publish(skill(n))
    assert client.events_skipped == 2 and connection.closed is None
    await drain(client)
    assert [m["type"] for m in connection.sent] == ["error", "skill", "skill", "skill", "skill"]
    assert connection.sent[0]["code"] == "slow_client" and "2 event(s)" in connection.sent[0]["message"]
    connection.unblocked.clear()  # stops reading
    for n in range(7):
        hub.publish(skill(n))
    await asyncio.sleep(0)
    assert connection.closed[0] == SLOW_CLIENT_CLOSE_CODE


async def test_a_blocked_client_does_not_hold_back_another():
    hub = Hub()
    stuck, reading = FakeConnection(), FakeConnection()
    stuck.unblocked.clear()
    clients = [subscribed(stuck, send_queue=8), subscribed(reading, send_queue=8)]
    for client in clients:
        hub.add(client)
    tasks = [asyncio.create_task(client.run_sender()) for client in clients]
    for n in range(5):
        hub.publish(skill(n))
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert [m["n"] for m in reading.sent] == [0, 1, 2, 3, 4]
    assert stuck.sent == []
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)




async def test_loss_totals_keep_what_departed_clients_lost():
    hub = Hub()
    connection = FakeConnection()
    connection.unblocked.clear()
    client = subscribed(connection, send_queue=4, max_skipped_skill_events=100)
    hub.add(client)
    keypoints = np.zeros((25, 3), np.float32)
    for frame in range(6):
        hub.publish_pose("a", frame, frame / 30, keypoints)
    for n in range(6):
        hub.publish(skill(n))
    assert (hub.droppable_dropped(), hub.events_skipped()) == (6, 2)
    hub.remove(client)
    hub.remove(client)  # twice: counted once
    assert (hub.droppable_dropped(), hub.events_skipped()) == (6, 2)
