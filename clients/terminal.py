"""The terminal client behind `skillstream watch`: skill events as a live table or JSON lines.

It subscribes to the `skill` and `segment` topics (one stream or all; the
first time with the history the server kept, so it starts with the session
so far),
prints one aligned row per recognised skill (or the event itself as a JSON
line with `json_lines`), notes streams that end and reconnects with
back-off when the server goes away.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, TextIO

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

COLUMNS = (("time", 8), ("stream", 12), ("skill", 20), ("conf", 5), ("frames", 11), ("top 3", 44), ("latency", 9))
RECONNECT_MAX_S = 10.0


class WatchError(Exception):
    """A URL that cannot work (bad URI): no point reconnecting."""


def header() -> str:
    return "  ".join(name.ljust(width) for name, width in COLUMNS).rstrip()


def row(message: dict[str, Any]) -> str:
    """One table row of a `skill` message."""
    clock = time.strftime("%H:%M:%S", time.localtime(message["server_time"]))
    label = message["label"] if message.get("is_skill", True) else f"({message['label']}?)"
    top = ", ".join(f"{name} {p:.2f}" for name, p in message["top"])
    cells = (clock, message["stream"], label, f"{message['confidence']:.2f}",
             f"{message['start_frame']}-{message['end_frame']}", top, f"{message['latency_ms']:.0f} ms")
    return "  ".join(str(cell)[:width].ljust(width) for cell, (_, width) in zip(cells, COLUMNS)).rstrip()


async def watch(url: str, stream: str | None = None, json_lines: bool = False, exit_on_end: bool = False,
                out: TextIO = sys.stdout) -> int:
    """Print skill events from the server at `url` until interrupted (or, with
    `exit_on_end`, until every watched stream has ended). Returns an exit status."""
    subscribe = {"type": "subscribe", "streams": [stream] if stream else ["*"], "topics": ["skill", "segment"],
                 "history": True}
    delay = 0.5
    printed_header = False
    while True:
        try:
            async with connect(url, max_size=1 << 22) as connection:
                delay = 0.5
                hello = json.loads(await connection.recv())
                live = {s["id"] for s in hello.get("streams", [])} if stream is None else {stream}
                await connection.send(json.dumps(subscribe))
                subscribe["history"] = False  # after a reconnection: only what is new
                if not json_lines:
                    print(f"# connected to {url}: streams {', '.join(sorted(live)) or 'none yet'}", file=out, flush=True)
                    if not printed_header:
                        print(header(), file=out, flush=True)
                        printed_header = True
                async for data in connection:
                    message = json.loads(data)
                    kind = message.get("type")
                    if kind == "error":
                        print(f"# error {message.get('code')}: {message.get('message')}", file=sys.stderr, flush=True)
                        if message.get("code") == "unknown_stream":
                            return 2
                    elif kind == "skill":
                        print(json.dumps(message) if json_lines else row(message), file=out, flush=True)
                    elif kind in ("stream_start", "stream_added"):
                        live.add(message["stream"])
                    elif kind == "stream_end":
                        live.discard(message["stream"])
                        if not json_lines:
                            print(f"# stream {message['stream']} ended ({message.get('reason')})", file=out, flush=True)
                        if exit_on_end and not live:
                            return 0
        except InvalidURI as error:
            raise WatchError(f"{url}: {error}") from None
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as error:
            print(f"# {url}: {error or type(error).__name__}; reconnecting in {delay:.1f} s", file=sys.stderr, flush=True)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX_S)
