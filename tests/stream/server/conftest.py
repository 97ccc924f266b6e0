"""A real server on port 0 with real websocket clients (house style: no mocks of the network)."""

from __future__ import annotations

import asyncio
import json
import contextlib
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from skillstream.config import load_config
from skillstream.models.inference import DEFAULT_MODEL, Classifier
from skillstream.models.synth.routine import write_routine
from skillstream.stream.server.app import Server
from tests.conftest import scaled_timeout

ROUTINE_SECONDS = 300
ROUTINE_SEED = 7001  # not a seed the segmenter was tuned on


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load(DEFAULT_MODEL, threads=2, threshold=load_config().model.threshold_override)


@pytest.fixture(scope="session")
def routine(tmp_path_factory) -> Path:
    """A 300 s synthetic routine (the acceptance test's length) as an OpenPose folder with its segments.json."""
    folder = tmp_path_factory.mktemp("routine")
    write_routine(folder, ROUTINE_SECONDS, ROUTINE_SEED)
    return folder


def truth(folder: Path) -> list[tuple[str, int, int]]:
    return [(s["label"], s["start_frame"], s["end_frame"]) for s in json.loads((folder / "segments.json").read_text())]


@contextlib.asynccontextmanager
async def running_server(classifier: Classifier, **overrides):
    """A started server with `overrides` (dotted config keys; sources default to none)."""
    config = load_config(overrides={"server.port": 0, "sources": {}, **overrides})
    server = Server(config, classifier=classifier)
    await server.startup()
    try:
        yield server
    finally:
        await asyncio.wait_for(server.shutdown(), scaled_timeout(30))


class Client:
    """A websocket client that reads JSON messages with a time limit."""

    def __init__(self, connection):
        self.connection = connection

    async def send(self, message) -> None:
        await self.connection.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 10.0) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), scaled_timeout(timeout)))

    async def recv_type(self, kind: str, timeout: float = 10.0) -> dict:
        while (message := await self.recv(timeout))["type"] != kind:
            pass
        return message

    async def until_stream_end(self, timeout: float = 60.0) -> list[dict]:
        """Every message up to and including the first `stream_end`."""
        messages = []
        while True:
            message = await self.recv(timeout)
            messages.append(message)
            if message["type"] == "stream_end":
                return messages


@contextlib.asynccontextmanager
async def client_of(server: Server, subscribe: dict | None = None):
    async with connect(f"ws://127.0.0.1:{server.port}/ws") as connection:
        client = Client(connection)
        hello = await client.recv()
        assert hello["type"] == "hello"
        if subscribe is not None:
            await client.send({"type": "subscribe", **subscribe})
            assert (await client.recv())["type"] == "subscribed"
        yield client
