"""Real-browser tests of the pages under clients/: a real server, Debian's chromium, playwright-core.

A test starts `skillstream serve` subprocesses with the `serve` fixture, a
Node driver script (tests/clients/*.mjs, which launches chromium through
playwright-core) with the `node` fixture, and talks to the server itself
with `WsWatcher`. Driver scripts speak JSON lines: every line a driver prints
on stdout is one JSON object (a report), and every line it reads on stdin is
one JSON object (a command from the test). Nothing here is skipped: without
chromium or node_modules the tests fail and say to run `make test`.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import REPO, scaled_timeout
from tests.stream.server.conftest import ServeProcess

CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT = REPO / "node_modules" / "playwright-core"
ARTIFACTS = REPO / "artifacts"
DRIVER_LINES = 256  # reports a driver may have printed ahead of the test reading them


@pytest.fixture(scope="session")
def browser() -> Path:
    """The chromium binary, after checking that node and playwright-core are there too."""
    missing = [what for what, present in (("chromium at /usr/bin/chromium", CHROMIUM.is_file()),
                                           ("node", shutil.which("node") is not None),
                                           (f"playwright-core in {PLAYWRIGHT}", PLAYWRIGHT.is_dir())) if not present]
    if missing:
        pytest.fail(f"browser tests need {', '.join(missing)}: run `make test` (installs them)", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """artifacts/ at the repo root (gitignored), with screenshots/ in it."""
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PageServer(ServeProcess):
    """`skillstream serve` on a given port (0: any free one), so that a test can stop
    it and start another on the same port (what a browser sees as a server restart)."""

    def __init__(self, folder: Path, *args: str, port: int = 0) -> None:
        super().__init__(folder, *args)
        self.args[self.args.index("--port") + 1] = str(port)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def serve(tmp_path) -> Callable[..., PageServer]:
    """serve(*sources, config=None, port=0) -> a started PageServer.

    `sources` are `ID=URI` (each a `--source`), `config` a TOML text laid over
    config/default.toml. Every server still running at the end of the test is killed.
    """
    started: list[PageServer] = []

    def start(*sources: str, config: str | None = None, port: int = 0) -> PageServer:
        folder = tmp_path / f"serve{len(started)}"
        folder.mkdir()
        args = [arg for source in sources for arg in ("--source", source)]
        if config is not None:
            (folder / "config.toml").write_text(config)
            args += ["--config", str(folder / "config.toml")]
        server = PageServer(folder, *args, port=port)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.kill()


class NodeDriver:
    """A Node driver script in a subprocess, spoken to in JSON lines.

    `receive(timeout)` returns the next report (AssertionError, with the
    driver's stderr, on timeout, exit or a line that is not JSON);
    `send(command)` writes one command; `finish(timeout)` closes stdin, waits
    for a clean exit and returns the last report.
    """

    def __init__(self, script: Path, args: list[str], env: dict[str, str], stderr_path: Path) -> None:
        self.script = script
        self.stderr_path = stderr_path
        with open(stderr_path, "wb") as err:
            self.process = subprocess.Popen(["node", str(script), *args], cwd=REPO, env={**os.environ, **env},
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
        # Bounded: the reader blocks (and so does the driver's stdout) until the test reads.
        self.lines: queue.Queue[str | None] = queue.Queue(DRIVER_LINES)
        self.last: dict | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def fail(self, reason: str) -> AssertionError:
        return AssertionError(f"{self.script.name}: {reason}\n--- driver stderr ---\n{self.stderr_path.read_text()[-4000:]}")

    def receive(self, timeout: float = 30.0) -> dict:
        try:
            line = self.lines.get(timeout=scaled_timeout(timeout))
        except queue.Empty:
            raise self.fail(f"no report within {scaled_timeout(timeout):.0f} s") from None
        if line is None:
            self.lines.put(None)  # later calls see the end too
            raise self.fail(f"exited with {self.process.wait()} before reporting")
        try:
            self.last = json.loads(line)
        except json.JSONDecodeError:
            raise self.fail(f"printed a line that is not JSON: {line!r}") from None
        return self.last

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 30.0) -> dict:
        self.process.stdin.close()
        while (line := self.lines.get(timeout=scaled_timeout(timeout))) is not None:
            self.last = json.loads(line)
        code = self.process.wait(scaled_timeout(timeout))
        if code != 0:
            raise self.fail(f"exited with {code}")
        if self.last is None:
            raise self.fail("exited without a report")
        return self.last

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(scaled_timeout(10))  # it reads stdout until EOF, which the exit brings
        for pipe in (self.process.stdin, self.process.stdout):
            if not pipe.closed:
                pipe.close()


@pytest.fixture
def node(browser, tmp_path) -> Callable[..., NodeDriver]:
    """node(script, *args, env=None) -> a started NodeDriver for tests/clients/SCRIPT.

    The driver gets SKILLSTREAM_CHROMIUM (the browser to launch) in its
    environment besides `env`; it is killed at the end of the test if still running.
    """
    drivers: list[NodeDriver] = []

    def start(script: str, *args: str, env: dict[str, str] | None = None) -> NodeDriver:
        path = Path(__file__).parent / script
        stderr_path = tmp_path / f"{path.stem}{len(drivers)}.stderr"
        driver = NodeDriver(path, list(args), {"SKILLSTREAM_CHROMIUM": str(browser), **(env or {})}, stderr_path)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.kill()


class WsWatcher:
    """A plain Python websocket client in a thread: sends `subscribe` and keeps every
    message it receives (`messages`, in order) until the connection closes or `close()`.
    The constructor returns once the connection is open (AssertionError if it cannot open)."""

    def __init__(self, port: int, subscribe: dict) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws"
        self.subscribe = {"type": "subscribe", **subscribe}
        self.messages: list[dict] = []
        self.connection = None
        self.error: Exception | None = None
        opened = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(opened,), daemon=True)
        self.thread.start()
        if not opened.wait(scaled_timeout(10)) or self.connection is None:
            raise AssertionError(f"could not connect to {self.url}: {self.error}")

    def _run(self, opened: threading.Event) -> None:
        try:
            with connect(self.url, open_timeout=scaled_timeout(10)) as connection:
                connection.send(json.dumps(self.subscribe))
                self.connection = connection
                opened.set()
                for text in connection:
                    self.messages.append(json.loads(text))
        except ConnectionClosed:
            pass
        except OSError as error:  # refused, timed out: reported by the constructor
            self.error = error
        finally:
            opened.set()

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in list(self.messages) if m["type"] == kind]

    def close(self) -> None:
        self.connection.close()
        self.thread.join(scaled_timeout(10))
