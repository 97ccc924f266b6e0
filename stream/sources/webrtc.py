"""WebRTC ingest: a browser's camera track as a stream source (aiortc).

`accept_offer(stream_id, sdp, settings)` answers a browser's complete offer
(non-trickle: the offer carries its ICE candidates, and so does the answer,
since aiortc gathers before answering) and returns a `WebRTCSource` that
owns the peer connection, with the answer's SDP. The source is live: a
reader task takes every decoded frame from the track and keeps only the
newest, counting the ones the pipeline never took in `frames_dropped`;
`recv()` converts the frame it hands out to BGR in a worker thread. When the
browser hangs up (track ended, connection closed or failed) `recv()` raises
SourceEnded; `stop()` closes the peer connection.

Network: aiortc (aioice) offers host candidates on every interface but
loopback; `webrtc.allow_loopback` adds 127.0.0.1 (a single-host set-up,
tests), `webrtc.stun_server` a server-reflexive candidate for browsers
behind NAT. Media flows over UDP on ephemeral ports between the browser and
the server: see docs/protocol.md for what an operator must open.
"""

from __future__ import annotations

import asyncio
import time

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from skillstream.config import WebRTCSettings

from .base import Frame, Source, SourceEnded, SourceError, SourceURI

LOOPBACK = "127.0.0.1"


class OfferError(SourceError):
    """An offer that cannot be answered (malformed SDP, no video track)."""


class WebRTCSource(Source):
    """A browser's video track (see the module's docstring)."""

    live = True

    def __init__(self, uri: SourceURI, peer: RTCPeerConnection, track: MediaStreamTrack) -> None:
        super().__init__(uri)
        self._peer = peer
        self._track = track
        self._newest = None  # the newest av.VideoFrame not yet taken
        self._received = 0   # frames received from the track
        self._newest_number = -1
        self._first_time: float | None = None
        self._ended = False
        self._wake = asyncio.Event()
        self._reader: asyncio.Task | None = None

        @peer.on("connectionstatechange")
        def _on_state() -> None:
            if peer.connectionState in ("failed", "closed"):
                self._end()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name=f"webrtc:{self.uri.text}")
        self.state = "live"

    async def _read(self) -> None:
        try:
            while True:
                frame = await self._track.recv()
                if self._newest is not None:
                    self.frames_dropped += 1
                self._newest, self._newest_number = frame, self._received
                self._received += 1
                self._wake.set()
        except MediaStreamError:
            pass  # the track ended: the browser stopped or hung up
        finally:
            self._end()

    def _end(self) -> None:
        self._ended = True
        self._wake.set()

    async def recv(self) -> Frame:
        while self._newest is None:
            if self._ended:
                raise SourceEnded
            self._wake.clear()
            await self._wake.wait()
        frame, number = self._newest, self._newest_number
        self._newest = None
        image = await asyncio.to_thread(frame.to_ndarray, format="bgr24")  # (H, W, 3)
        seconds = float(frame.time) if frame.time is not None else time.monotonic()
        if self._first_time is None:
            self._first_time = seconds
        self.height, self.width = image.shape[:2]
        return Frame(number, seconds - self._first_time, image=image)

    async def stop(self) -> None:
        self._end()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._newest = None
        await self._peer.close()
        self.state = "ended"


async def accept_offer(stream_id: str, sdp: str, settings: WebRTCSettings) -> tuple[WebRTCSource, str]:
    """Answer the browser's offer `sdp` for stream `stream_id`: the source (not
    started) and the answer's SDP. OfferError when the offer is malformed or
    carries no video track."""
    if settings.allow_loopback:
        offer_loopback_candidates()
    servers = [RTCIceServer(urls=settings.stun_server)] if settings.stun_server else []
    peer = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    tracks: list[MediaStreamTrack] = []
    peer.on("track", tracks.append)
    try:
        await peer.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        video = next((track for track in tracks if track.kind == "video"), None)
        if video is None:
            raise OfferError(f"stream {stream_id}: the offer has no video track")
        await peer.setLocalDescription(await peer.createAnswer())
    except OfferError:
        await peer.close()
        raise
    except Exception as error:  # aiortc raises ValueError and others on a malformed SDP
        await peer.close()
        raise OfferError(f"stream {stream_id}: cannot answer the offer: {type(error).__name__}: {error}") from None
    except BaseException:  # cancelled while gathering candidates: no peer is left behind
        await peer.close()
        raise
    source = WebRTCSource(SourceURI(f"webrtc:{stream_id}", "webrtc", stream_id), peer, video)
    return source, peer.localDescription.sdp


_host_addresses = aioice.ice.get_host_addresses


def offer_loopback_candidates() -> None:
    """Make aioice offer 127.0.0.1 too (process-wide; idempotent). aioice leaves
    loopback out; a browser on the same host with only loopback needs it."""
    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = _host_addresses(use_ipv4, use_ipv6)
        return addresses + [LOOPBACK] if use_ipv4 and LOOPBACK not in addresses else addresses

    aioice.ice.get_host_addresses = with_loopback
