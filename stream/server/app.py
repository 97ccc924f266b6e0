"""The server: one asyncio process, one port, every stream and client.

Lifecycle: `startup()` loads the classifier (in a thread), opens the port
(websocket protocol at /ws, static pages and /health over plain HTTP) and
starts the configured streams; `run()` serves until `request_stop()` (or a
signal, from the CLI); `shutdown()` ends every stream and connection within
`server.shutdown_timeout_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server as WebsocketServer, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from skillstream.config import Config, ConfigError, check_stream_id
from skillstream.models.checkpoint import load_checkpoint
from skillstream.models.inference import DEFAULT_MODEL, Classifier
from skillstream.stream.pose import create_backend
from skillstream.stream.pose.base import PoseBackendError
from skillstream.stream.pose.service import PoseService
from skillstream.stream.record import StreamRecorder
from skillstream.stream.sources import Source, SourceError, create_source
from skillstream.stream.sources.webrtc import OfferError, accept_offer

from .http import make_request_handler
from .hub import ClientSession, Hub
from .inference import ClassifierService
from .metrics import render as render_metrics
from .pipeline import StreamPipeline
from .stepper import Stepper
from .protocol import (MESSAGE_TOPICS, PROTOCOL_VERSION, TOPICS, AddStream, ProtocolError, RemoveStream, Subscribe,
                       WebRTCClose, WebRTCOffer, error_message, parse_client_message, server_message)

log = logging.getLogger(__name__)

# Streams whose status is published in one go: hundreds at once would hold
# the loop for milliseconds (about 30 us each), delaying every skill due then.
STATUS_BURST = 32

SERVER_FULL_CLOSE_CODE = 1013  # try again later
# Messages beyond this are refused by the websocket layer itself (the
# connection closes); smaller ones over server.max_message_bytes get an error.
HARD_MESSAGE_LIMIT = 1 << 20


class StreamError(Exception):
    """A stream that cannot be added or removed: `code` and message for the `error` reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Server:
    """Every stream and client of one process (see the module's docstring).
    Streams are added and removed while it runs (`add_stream`,
    `remove_stream`, also from clients' control messages); a stream's failure
    ends that stream only."""

    def __init__(self, config: Config, classifier: Classifier | None = None) -> None:
        """`classifier`: an already loaded one whose checkpoint is served (tests
        share one); default: load `model.path`. Either is served under
        `model.threshold` and `[openset]`, in the worker `model.worker` says."""
        self.config = config
        self.hub = Hub()
        self.streams: dict[str, StreamPipeline] = {}
        self.ended: OrderedDict[str, StreamPipeline] = OrderedDict()  # kept for their history, oldest first
        self._tasks: dict[str, asyncio.Task] = {}
        self._starting: set[str] = set()  # ids whose source is being opened
        # WebRTC streams by the client that offered them (the pipeline tells a
        # camera from a later stream that reuses its name).
        self._cameras: dict[ClientSession, dict[str, StreamPipeline]] = {}
        self._classifier = classifier
        self.classifier: ClassifierService | None = None
        self._pose: PoseService | None = None
        self._pose_lock = asyncio.Lock()
        self.stepper = Stepper()  # steps the clock-paced replays (stream.server.stepper)
        self._websocket: WebsocketServer | None = None
        self._status_task: asyncio.Task | None = None
        self._stop = asyncio.Event()
        self._started = time.monotonic()

    # -- lifecycle --------------------------------------------------------------------
    async def startup(self) -> None:
        """Load the model, open the port, start the configured streams. Raises
        SourceError when every configured stream fails to start (a server that
        would serve nothing); a failing stream among working ones is reported
        and the rest go on."""
        model = self.config.model
        if self._classifier is None:
            path = Path(model.path) if model.path else DEFAULT_MODEL
            checkpoint = await asyncio.to_thread(load_checkpoint, path)
        else:
            checkpoint = self._classifier.checkpoint
        options = self.config.openset.options(model.threshold_override)
        self.classifier = ClassifierService(checkpoint, options, model.threads, model.max_batch, model.worker)
        await self.classifier.startup()
        if self.config.pose.backend == "openpose":
            await self.pose_service()  # fail at start-up, with the build instructions, not on the first frame
        server = self.config.server
        self._websocket = await serve(
            self._handle_connection, server.host, server.port, process_request=make_request_handler(self.health, lambda: render_metrics(self)),
            max_size=max(HARD_MESSAGE_LIMIT, server.max_message_bytes), compression=None)
        self._status_task = asyncio.create_task(self._publish_status(), name="status")
        failures = {}
        for stream_id, uri in self.config.sources.items():
            try:
                await self.add_stream(stream_id, uri)
            except StreamError as error:
                failures[stream_id] = str(error)
        if failures and len(failures) == len(self.config.sources):
            await self.shutdown()
            raise SourceError("no stream could start: " + "; ".join(f"{k}: {v}" for k, v in failures.items()))
        for stream_id, reason in failures.items():
            log.error("stream %s not started: %s", stream_id, reason)

    @property
    def port(self) -> int:
        """The port the server listens on (useful with server.port = 0)."""
        return self._websocket.sockets[0].getsockname()[1]

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Serve until `request_stop()`; then shut down."""
        try:
            await self._stop.wait()
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        """End every stream (`stream_end` reason "server_shutdown") and close every
        connection, cancelling what is left after server.shutdown_timeout_s."""
        limit = self.config.server.shutdown_timeout_s
        if self._status_task is not None:
            self._status_task.cancel()
            await asyncio.gather(self._status_task, return_exceptions=True)
        removals = [self.remove_stream(stream_id, reason="server_shutdown") for stream_id in list(self._tasks)]
        try:
            await asyncio.wait_for(asyncio.gather(*removals, return_exceptions=True), limit)
        except TimeoutError:
            log.warning("streams still stopping after %.1f s: abandoned", limit)
        if self._websocket is not None:
            self._websocket.close()
            try:
                await asyncio.wait_for(self._websocket.wait_closed(), limit)
            except TimeoutError:
                log.warning("connections still open after %.1f s: dropped", limit)
        await self.stepper.close()
        if self.classifier is not None:
            await self.classifier.shutdown()
        if self._pose is not None:
            await self._pose.shutdown()

    # -- streams ------------------------------------------------------------------------
    async def pose_service(self) -> PoseService:
        """The pose service, created on first use (StreamError when the backend cannot start)."""
        async with self._pose_lock:
            if self._pose is None:
                try:
                    backend = await asyncio.to_thread(create_backend, self.config.pose)
                except PoseBackendError as error:
                    raise StreamError("pose_backend", f"pose backend {self.config.pose.backend}: {error}") from None
                service = PoseService(backend, self.config.pose)
                await service.startup()
                self._pose = service
        return self._pose

    async def add_stream(self, stream_id: str, uri: str) -> StreamPipeline:
        """Open `uri` and start its pipeline as stream `stream_id`; StreamError
        (code and reason) when the id is bad or taken, the server is full, or the
        source cannot be opened."""
        async with self._new_stream(stream_id):
            try:
                source = create_source(uri, self.config.source_options)
                await source.start()
            except SourceError as error:
                raise StreamError("source_error", str(error)) from None
            except Exception as error:  # whatever a source's library raises, it is this source's failure only
                raise StreamError("source_error", f"{uri!r}: {type(error).__name__}: {error}") from None
            pipeline = self._run_stream(stream_id, source)
        log.info("stream %s: %s", stream_id, uri)
        return pipeline

    async def add_webrtc_stream(self, stream_id: str, offer_sdp: str) -> tuple[StreamPipeline, str]:
        """Answer a browser's WebRTC offer and run its video as stream
        `stream_id`: the pipeline and the answer's SDP. StreamError as
        `add_stream`, or "bad_offer"."""
        async with self._new_stream(stream_id):
            try:
                source, answer = await accept_offer(stream_id, offer_sdp, self.config.webrtc)
            except OfferError as error:
                raise StreamError("bad_offer", str(error)) from None
            await source.start()
            pipeline = self._run_stream(stream_id, source)
        log.info("stream %s: a browser camera (WebRTC)", stream_id)
        return pipeline, answer

    @contextlib.asynccontextmanager
    async def _new_stream(self, stream_id: str):
        """Check that `stream_id` can be added and hold it while its source opens
        (other adds may run meanwhile)."""
        try:
            check_stream_id(stream_id, "stream id")
        except ConfigError as error:
            raise StreamError("bad_message", str(error)) from None
        if stream_id in self.streams or stream_id in self._starting:
            raise StreamError("stream_exists", f"stream {stream_id!r} already exists")
        if len(self.streams) + len(self._starting) >= self.config.server.max_streams:
            raise StreamError("too_many_streams", f"the server carries at most {self.config.server.max_streams} streams")
        self._starting.add(stream_id)
        try:
            yield
        finally:
            self._starting.discard(stream_id)

    def _run_stream(self, stream_id: str, source: Source) -> StreamPipeline:
        self.ended.pop(stream_id, None)  # a new stream of that name: the old history goes
        pipeline = StreamPipeline(stream_id, source, self.config, self.hub, self.classifier, self.pose_service,
                                  self._recorder_factory(stream_id), self.stepper)
        self.streams[stream_id] = pipeline
        task = asyncio.create_task(pipeline.run(), name=f"stream:{stream_id}")
        self._tasks[stream_id] = task
        task.add_done_callback(lambda _: self._forget(stream_id, task))
        return pipeline

    def _forget(self, stream_id: str, task: asyncio.Task) -> None:
        if self._tasks.get(stream_id) is task:
            del self._tasks[stream_id]
            pipeline = self.streams.pop(stream_id)
            self.ended.pop(stream_id, None)
            self.ended[stream_id] = pipeline
            while len(self.ended) > self.config.server.ended_streams_kept:
                self.ended.popitem(last=False)

    async def remove_stream(self, stream_id: str, reason: str = "removed") -> None:
        """Stop stream `stream_id` (its clients get `stream_end` with `reason`)."""
        task = self._tasks.get(stream_id)
        pipeline = self.streams.get(stream_id)
        if task is None or pipeline is None:
            raise StreamError("unknown_stream", f"no stream {stream_id!r}")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pipeline.publish_end(reason)

    def _recorder_factory(self, stream_id: str):
        if not self.config.record.dir:
            return None
        root = Path(self.config.record.dir)

        def open_recorder(source: Source) -> StreamRecorder:
            return StreamRecorder(root, stream_id, {"source": source.uri.text, "fps": source.fps,
                                                    "width": source.width, "height": source.height})
        return open_recorder

    # -- clients ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "protocol": PROTOCOL_VERSION, "uptime_s": round(time.monotonic() - self._started, 1),
                "streams": {sid: p.state for sid, p in self.streams.items()}, "clients": len(self.hub.clients)}

    async def _handle_connection(self, connection: ServerConnection) -> None:
        if len(self.hub.clients) >= self.config.server.max_clients:
            await connection.close(SERVER_FULL_CLOSE_CODE, "server full")
            return
        client = ClientSession(connection, self.config.clients, name=str(connection.remote_address))
        self.hub.add(client)
        sender = asyncio.create_task(client.run_sender(), name=f"send:{client.name}")
        client.send_now(server_message(
            "hello", None, protocol=PROTOCOL_VERSION, topics=list(TOPICS), pose_fps=self.config.clients.pose_fps,
            streams=[p.describe() for p in {**self.ended, **self.streams}.values()]))
        try:
            async for data in connection:
                await self._on_message(client, data)
        except ConnectionClosed:
            pass
        finally:
            self.hub.remove(client)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            # A browser camera ends with the page that sent it (tab closed, page reloaded).
            for stream_id, pipeline in self._cameras.pop(client, {}).items():
                if self.streams.get(stream_id) is pipeline:
                    with contextlib.suppress(StreamError):
                        await self.remove_stream(stream_id, reason="finished")

    async def _on_message(self, client: ClientSession, data: str | bytes) -> None:
        try:
            message = parse_client_message(data, self.config.server.max_message_bytes)
            if isinstance(message, Subscribe):
                known = {**self.ended, **self.streams}
                unknown = sorted((message.streams or set()) - set(known))
                if unknown:
                    raise ProtocolError("unknown_stream", f"subscribe: no stream {unknown[0]!r} "
                                                          f"(streams: {', '.join(known) or 'none'})")
                self.hub.subscribe(client, message)
                client.send_now(server_message(
                    "subscribed", None, streams=["*"] if message.streams is None else sorted(message.streams),
                    topics=sorted(message.topics),
                    pose_fps=self.config.clients.pose_fps if message.pose_fps is None else message.pose_fps))
                if message.history:
                    for stream_id, pipeline in known.items():
                        if message.streams is None or stream_id in message.streams:
                            client.replay(text for kind, text in pipeline.history
                                          if client.wants(stream_id, MESSAGE_TOPICS.get(kind)))
            elif isinstance(message, AddStream):
                self._check_token(message.token, "add_stream")
                pipeline = await self.add_stream(message.id, message.source)
                self.hub.publish(server_message("stream_added", message.id, **pipeline.describe()))
                if not client.wants(message.id, None):
                    client.send_now(server_message("stream_added", message.id, **pipeline.describe()))
            elif isinstance(message, RemoveStream):
                self._check_token(message.token, "remove_stream")
                await self.remove_stream(message.id)
                client.send_now(server_message("stream_removed", message.id))
            elif isinstance(message, WebRTCOffer):
                if self.config.server.token:  # a camera needs the token only where one is configured
                    self._check_token(message.token, "webrtc_offer")
                pipeline, answer = await self.add_webrtc_stream(message.id, message.sdp)
                self._cameras.setdefault(client, {})[message.id] = pipeline
                client.send_now(server_message("webrtc_answer", message.id, sdp=answer))
                self.hub.publish(server_message("stream_added", message.id, **pipeline.describe()))
            elif isinstance(message, WebRTCClose):
                own = self._cameras.get(client, {}).pop(message.id, None)
                if own is None or self.streams.get(message.id) is not own:
                    self._check_token(message.token, "webrtc_close")  # not this client's camera: control
                await self.remove_stream(message.id, reason="finished")
        except (ProtocolError, StreamError) as error:
            client.send_now(error_message(error.code, str(error)))

    def _check_token(self, token: str, kind: str) -> None:
        expected = self.config.server.token
        if not expected:
            raise ProtocolError("forbidden", f"{kind}: control messages are disabled (no server.token configured)")
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise ProtocolError("forbidden", f"{kind}: wrong token")

    async def _publish_status(self) -> None:
        while True:
            await asyncio.sleep(self.config.clients.status_interval_s)
            for n, (stream_id, pipeline) in enumerate(list(self.streams.items())):
                if n and n % STATUS_BURST == 0:
                    await asyncio.sleep(0)  # let frames and skills through between bursts of status
                if pipeline.state == "live":
                    try:
                        self.hub.publish(server_message("status", stream_id, **pipeline.status()))
                    except Exception:  # one stream's bad figure must not end status for every stream
                        log.exception("status of stream %s", stream_id)
