"""A real server on port 0 with real websocket clients (house style: no mocks of the network)."""

from __future__ import annotations

import asyncio
import json
import contextlib
import re
import signal
import subprocess
import sys
import time
import urllib.request
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
    config = load_config()
    return Classifier.load(DEFAULT_MODEL, threads=2, options=config.openset.options(config.model.threshold_override))


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
    """A started server with `overrides` (dotted config keys; by default no sources and the
    classifier in a thread, which starts at once: tests/stream/server/test_inference.py and the
    subprocess tests cover the worker process)."""
    config = load_config(overrides={"server.port": 0, "sources": {}, "model.worker": "thread", **overrides})
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
        """The next message of type `kind` (others are passed over), within `timeout` in all."""
        async with asyncio.timeout(scaled_timeout(timeout)):
            while (message := json.loads(await self.connection.recv()))["type"] != kind:
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


# -- additions for the end-to-end tests of serve, watch, recording and video -------------

SHORT_ROUTINE_SECONDS = 60
SHORT_ROUTINE_SEED = 7002  # not a seed the segmenter was tuned on


@pytest.fixture(scope="session")
def short_routine(tmp_path_factory) -> Path:
    """A 60 s synthetic routine as an OpenPose folder: for runs that go at real-time pace or
    through subprocesses, where the 300 s routine would cost too long."""
    folder = tmp_path_factory.mktemp("short_routine")
    write_routine(folder, SHORT_ROUTINE_SECONDS, SHORT_ROUTINE_SEED)
    return folder


def skill_events(messages: list[dict]) -> list[tuple[str, int, int, float]]:
    """(label, start_frame, end_frame, confidence) of the `skill` messages, in order."""
    return [(m["label"], m["start_frame"], m["end_frame"], m["confidence"]) for m in messages if m["type"] == "skill"]


def assert_same_skills(actual: list[tuple[str, int, int, float]], expected: list[tuple[str, int, int, float]]) -> None:
    """Equal skill events: labels and frames exactly, confidences to 1e-3."""
    assert [s[:3] for s in actual] == [s[:3] for s in expected]
    assert [s[3] for s in actual] == pytest.approx([s[3] for s in expected], abs=1e-3)


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition()` (blocking) until it returns something true, and return that;
    AssertionError naming `what` after `timeout` seconds (scaled)."""
    deadline = time.monotonic() + scaled_timeout(timeout)
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {scaled_timeout(timeout):.0f} s waiting for {what}")
        time.sleep(interval)
    return result


class ServeProcess:
    """`skillstream serve ARGS --port 0` in a subprocess, its stdout and stderr in files.

    `start()` returns once the URL line is printed (`port` is then known);
    `stop(signum)` sends the signal and returns the exit status; `kill()`
    is `kill -9`. Used as a context manager, whatever is still running at
    the end is killed.
    """

    URL_LINE = re.compile(r"^skillstream: serving http://127\.0\.0\.1:(\d+)/ .*$", re.MULTILINE)

    def __init__(self, folder: Path, *args: str) -> None:
        self.args = [sys.executable, "-m", "skillstream.stream", "serve", "--port", "0", *args]
        self.stdout_path = folder / "serve.stdout"
        self.stderr_path = folder / "serve.stderr"
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def start(self, timeout: float = 30.0) -> ServeProcess:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def started():
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}: {self.stderr}")
            return self.URL_LINE.search(self.stdout)

        self.port = int(wait_until(started, timeout, "the URL line of serve").group(1))
        return self

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=scaled_timeout(10)) as response:
            return json.loads(response.read())

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        self.process.send_signal(signum)
        return self.process.wait(scaled_timeout(timeout))

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(scaled_timeout(10))

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
