"""Fan-out of server messages to websocket clients, each with a bounded send queue.

Every client has its own queue of at most `clients.send_queue` messages and
its own sender task, so a slow client never slows the pipeline or another
client. When a queue is full, pose and status messages are dropped first
(the oldest); an event (skill, segment, stream_end, ...) is never dropped
silently: if no droppable message is left to make room, the event is
skipped, the client is told how many it missed (an `error` with code
"slow_client" as soon as it reads again), and past
`clients.max_skipped_skill_events` it is disconnected.

Each message is encoded once, whatever the number of clients, and goes
only through the clients subscribed to its stream (the hub keeps them per
stream), so a server with many streams and clients does not look at every
client for every frame.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from skillstream.config import ClientSettings

from .protocol import MESSAGE_TOPICS, Subscribe, encode, encode_pose, error_message
from .stages import StageTimer

log = logging.getLogger(__name__)

SLOW_CLIENT_CLOSE_CODE = 1008  # policy violation: the client does not read its messages
DROPPABLE = frozenset({"pose", "status"})


class Connection(Protocol):
    """What the hub needs of a websocket connection (websockets' ServerConnection)."""

    async def send(self, message: str) -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class ClientSession:
    """One client: its subscription and its bounded send queue (see the module's docstring)."""

    _sequence = itertools.count()

    def __init__(self, connection: Connection, settings: ClientSettings, name: str = "") -> None:
        if settings.send_queue < 1:
            raise ValueError(f"send_queue must be at least 1, got {settings.send_queue}")
        self.connection = connection
        self.name = name
        self.capacity = settings.send_queue
        self.max_skipped = settings.max_skipped_skill_events
        self.default_pose_fps = settings.pose_fps
        self.history_limit = settings.history_events
        self._closing: asyncio.Task | None = None  # held so that the closing task is not garbage-collected
        self.subscription: Subscribe | None = None
        self.events_skipped = 0      # events this client never received
        self.unreported_skipped = 0  # of those, not yet told to the client
        self.droppable_dropped = 0   # pose and status messages dropped
        self.disconnecting = False
        # (sequence, text, time offered): events and droppable messages apart,
        # so that a full queue finds its oldest droppable message at once.
        self._events: deque[tuple[int, str, float]] = deque()
        self._droppable: deque[tuple[int, str, float]] = deque()
        self.send_time = StageTimer()  # events, from offered to written (the hub shares one across clients)
        self._last_pose_ts: dict[str, float] = {}
        self._wake = asyncio.Event()

    # -- what the client asked for ------------------------------------------------
    def subscribe(self, subscription: Subscribe) -> None:
        """Take `subscription` (once the client is in a hub: through `Hub.subscribe`)."""
        self.subscription = subscription
        self._last_pose_ts.clear()

    def wants(self, stream: str | None, topic: str | None) -> bool:
        """Whether a message of `topic` (None: no topic) about `stream` goes to this client."""
        sub = self.subscription
        if sub is None:
            return False
        if stream is not None and sub.streams is not None and stream not in sub.streams:
            return False
        return topic is None or topic in sub.topics

    def pose_due(self, stream: str, ts: float) -> bool:
        """Whether a pose frame of `stream` at stream time `ts` is due under the client's pose_fps."""
        if not self.wants(stream, "pose"):
            return False
        fps = self.subscription.pose_fps if self.subscription.pose_fps is not None else self.default_pose_fps
        last = self._last_pose_ts.get(stream)
        # 1 ms of tolerance: frame times are float sums (0.2 - 0.1 < 0.1)
        if fps > 0 and last is not None and ts - last < 1.0 / fps - 1e-3 and ts >= last:
            return False
        self._last_pose_ts[stream] = ts
        return True

    # -- the queue ----------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self._events) + len(self._droppable)

    def offer(self, text: str, droppable: bool) -> None:
        """Queue `text` under the rules of the module's docstring (never blocks)."""
        if self.disconnecting:
            return
        entry = (next(self._sequence), text, time.perf_counter())
        if self.depth >= self.capacity:
            if self._droppable:
                self._droppable.popleft()
                self.droppable_dropped += 1
            elif droppable:
                self.droppable_dropped += 1
                return
            else:
                self.events_skipped += 1
                self.unreported_skipped += 1
                if self.events_skipped > self.max_skipped:
                    self._disconnect()
                self._wake.set()
                return
        (self._droppable if droppable else self._events).append(entry)
        self._wake.set()

    def replay(self, texts: Iterable[str]) -> None:
        """Queue a stream's kept events for a late subscriber. A replay may go
        beyond the queue's capacity by one stream's history
        (clients.history_events), so that it fits; what goes further (a client
        asking again and again without reading) is skipped like any event."""
        room = self.capacity + self.history_limit - self.depth
        for text in texts:
            if room > 0:
                self._events.append((next(self._sequence), text, time.perf_counter()))
                room -= 1
            else:
                self.offer(text, droppable=False)
        self._wake.set()

    def send_now(self, message: dict[str, Any]) -> None:
        """Queue a message about the connection itself (hello, a reply, an
        error); a client that does not read loses these as it loses events."""
        self.offer(encode(message), droppable=False)

    def _next(self) -> tuple[str, float | None] | None:
        """The next text to send and, for an event, when it was offered; None when nothing waits."""
        if self.unreported_skipped:
            count, self.unreported_skipped = self.unreported_skipped, 0
            return encode(error_message(
                "slow_client", f"{count} event(s) were not delivered because this client reads too slowly "
                               f"({self.events_skipped} in all; past {self.max_skipped} it is disconnected)")), None
        if self._events and (not self._droppable or self._events[0][0] < self._droppable[0][0]):
            _, text, offered = self._events.popleft()
            return text, offered
        if self._droppable:
            return self._droppable.popleft()[1], None
        return None

    async def run_sender(self) -> None:
        """Send queued messages in order until the connection closes (a task per client)."""
        while True:
            entry = self._next()
            if entry is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            text, offered = entry
            await self.connection.send(text)
            if offered is not None:
                self.send_time.add(time.perf_counter() - offered)

    def _disconnect(self) -> None:
        self.disconnecting = True
        log.warning("client %s: disconnected, %d events not delivered", self.name, self.events_skipped)
        self._closing = asyncio.get_running_loop().create_task(
            self.connection.close(SLOW_CLIENT_CLOSE_CODE, "client too slow: events were not delivered"))


class Hub:
    """The connected clients and the fan-out of server messages to them."""

    def __init__(self) -> None:
        self.clients: set[ClientSession] = set()
        # The subscribed clients: those of every stream, and per stream those
        # that name it, as indexed (`_indexed`: the subscription each was indexed under).
        self._everywhere: set[ClientSession] = set()
        self._by_stream: dict[str, set[ClientSession]] = {}
        self._indexed: dict[ClientSession, Subscribe] = {}
        # What clients that have left lost, so that the totals never go down.
        self._gone_dropped = 0
        self._gone_skipped = 0
        self.send_time = StageTimer()  # events, from offered to written, all clients

    def add(self, client: ClientSession) -> None:
        """Serve `client` (with the subscription it may already have)."""
        self.clients.add(client)
        client.send_time = self.send_time
        self._index(client)

    def subscribe(self, client: ClientSession, subscription: Subscribe) -> None:
        """Give `client` (added) a new subscription."""
        if client not in self.clients:
            raise ValueError(f"Hub.subscribe: client {client.name!r} is not in the hub")
        self._unindex(client)
        client.subscribe(subscription)
        self._index(client)

    def remove(self, client: ClientSession) -> None:
        if client in self.clients:
            self.clients.discard(client)
            self._unindex(client)
            self._gone_dropped += client.droppable_dropped
            self._gone_skipped += client.events_skipped

    def _index(self, client: ClientSession) -> None:
        sub = client.subscription
        if sub is None:
            return
        self._indexed[client] = sub
        if sub.streams is None:
            self._everywhere.add(client)
        for stream in sub.streams or ():
            self._by_stream.setdefault(stream, set()).add(client)

    def _unindex(self, client: ClientSession) -> None:
        self._everywhere.discard(client)
        sub = self._indexed.pop(client, None)
        if sub is None or sub.streams is None:
            return
        for stream in sub.streams:
            named = self._by_stream.get(stream)
            if named is not None:
                named.discard(client)
                if not named:
                    del self._by_stream[stream]

    def _subscribed(self, stream: str | None) -> Iterable[ClientSession]:
        """The clients whose subscription covers `stream` (None: a message of no stream goes to all)."""
        if stream is None:
            return self.clients
        named = self._by_stream.get(stream)
        return itertools.chain(self._everywhere, named) if named else self._everywhere

    def droppable_dropped(self) -> int:
        """Pose and status messages dropped for slow clients since the start."""
        return self._gone_dropped + sum(c.droppable_dropped for c in self.clients)

    def events_skipped(self) -> int:
        """Events slow clients missed (and were told of) since the start."""
        return self._gone_skipped + sum(c.events_skipped for c in self.clients)

    def publish(self, message: dict[str, Any], text: str | None = None) -> int:
        """Offer `message` (a `server_message`; `text`: its encoding if already
        made) to every client that wants it; returns how many."""
        stream, kind = message["stream"], message["type"]
        topic = MESSAGE_TOPICS.get(kind)
        targets = [c for c in self._subscribed(stream) if c.wants(stream, topic)]
        if targets:
            text = text if text is not None else encode(message)
            droppable = kind in DROPPABLE
            for client in targets:
                client.offer(text, droppable)
        return len(targets)

    def publish_pose(self, stream: str, frame: int, ts: float, keypoints: np.ndarray) -> int:
        """Offer a `pose` message of one frame to the clients it is due to (encoded only if any)."""
        targets = [c for c in self._subscribed(stream) if c.pose_due(stream, ts)]
        if targets:
            text = encode_pose(stream, frame, ts, keypoints)
            for client in targets:
                client.offer(text, droppable=True)
        return len(targets)

    def subscribers(self, stream: str) -> int:
        """Clients that receive some message of `stream`."""
        return sum(1 for c in self._subscribed(stream) if c.wants(stream, None))
