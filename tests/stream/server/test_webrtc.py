"""WebRTC ingest through the real server, with aiortc as the browser (the
Chromium test of the camera page is in tests/clients/test_camera.py)."""

import asyncio
import fractions

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from tests.conftest import scaled_timeout

from .conftest import client_of, running_server

FPS = 30


class MovingSquare(VideoStreamTrack):
    """A 320x240 test pattern at 30 fps (a square moving across a grey frame)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    async def recv(self):
        await asyncio.sleep(1 / FPS)
        image = np.full((240, 320, 3), 90, np.uint8)
        x = (self.count * 4) % 280
        image[100:140, x:x + 40] = 230
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = self.count * 3000, fractions.Fraction(1, 90000)
        self.count += 1
        return frame


async def offer_sdp(peer: RTCPeerConnection) -> str:
    peer.addTrack(MovingSquare())
    await peer.setLocalDescription(await peer.createOffer())  # aiortc gathers all candidates here
    return peer.localDescription.sdp


CAMERA = {"webrtc.allow_loopback": True, "pose.test_time_rotation": False}


async def test_a_browser_track_becomes_a_live_stream_and_ends_with_its_page(classifier):
    async with running_server(classifier, **CAMERA) as server:
        async with client_of(server, {"streams": ["*"], "topics": ["pose", "status"], "pose_fps": 0}) as watcher:
            peer = RTCPeerConnection()
            async with client_of(server) as camera:
                await camera.send({"type": "webrtc_offer", "id": "cam", "sdp": await offer_sdp(peer)})
                answer = await camera.recv_type("webrtc_answer", timeout=20)
                assert answer["stream"] == "cam" and "m=video" in answer["sdp"]
                await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
                start = await watcher.recv_type("stream_start", timeout=20)
                assert (start["stream"], start["live"], start["width"], start["height"]) == ("cam", True, 320, 240)
                poses = [await watcher.recv_type("pose", timeout=20) for _ in range(20)]
                assert all(len(p["keypoints"]) == 25 for p in poses)
                frames = [p["frame"] for p in poses]
                assert frames == sorted(frames)
                status = await watcher.recv_type("status", timeout=10)
                assert status["stream"] == "cam" and status["fps_in"] > 10
            # The page that offered it went away: the stream ends.
            end = await watcher.recv_type("stream_end", timeout=10)
            assert (end["stream"], end["reason"]) == ("cam", "finished") and end["frames"] >= 20
            await peer.close()
            assert "cam" not in server.streams


async def test_webrtc_close_ends_the_stream_and_frees_its_name(classifier):
    async with running_server(classifier, **CAMERA) as server:
        async with client_of(server, {"streams": ["*"], "topics": ["status"]}) as camera:
            for _ in range(2):  # the name can be used again once the first camera closed
                peer = RTCPeerConnection()
                await camera.send({"type": "webrtc_offer", "id": "cam", "sdp": await offer_sdp(peer)})
                answer = await camera.recv_type("webrtc_answer", timeout=20)
                await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
                await camera.recv_type("stream_start", timeout=20)
                await camera.send({"type": "webrtc_close", "id": "cam"})
                assert (await camera.recv_type("stream_end", timeout=10))["reason"] == "finished"
                await peer.close()


@pytest.mark.parametrize("sdp, words", [
    ("this is not sdp", "stream cam: "),
    ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "no video track"),
    ("v=0\r\nm=video notaport UDP/TLS/RTP/SAVPF 96\r\n", "stream cam: "),
])
async def test_a_malformed_offer_gets_bad_offer_and_nothing_else_changes(classifier, sdp, words):
    async with running_server(classifier, **CAMERA) as server:
        async with client_of(server) as camera:
            await camera.send({"type": "webrtc_offer", "id": "cam", "sdp": sdp})
            error = await camera.recv_type("error", timeout=10)
            assert error["code"] == "bad_offer" and words in error["message"]
            assert not server.streams
            await camera.send({"type": "subscribe", "streams": ["*"]})
            assert (await camera.recv())["type"] == "subscribed"


async def test_a_configured_token_protects_offers(classifier):
    async with running_server(classifier, **CAMERA, **{"server.token": "t"}) as server:
        async with client_of(server) as camera:
            await camera.send({"type": "webrtc_offer", "id": "cam", "sdp": "x", "token": "wrong"})
            assert (await camera.recv_type("error"))["code"] == "forbidden"
            assert not server.streams


def test_loopback_candidates_are_offered_when_allowed():
    import aioice.ice

    from skillstream.stream.sources import webrtc

    webrtc.offer_loopback_candidates()
    assert "127.0.0.1" in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    assert asyncio.iscoroutinefunction(webrtc.accept_offer) and scaled_timeout(1) > 0


async def test_a_camera_name_reused_by_another_page_is_not_closed_by_the_first(classifier):
    async with running_server(classifier, **CAMERA, **{"server.token": "t"}) as server:
        peers = [RTCPeerConnection(), RTCPeerConnection()]
        async with client_of(server, {"streams": ["*"], "topics": ["status"]}) as first:
            await first.send({"type": "webrtc_offer", "id": "cam", "sdp": await offer_sdp(peers[0]), "token": "t"})
            answer = await first.recv_type("webrtc_answer", timeout=20)
            await peers[0].setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
            await first.send({"type": "remove_stream", "id": "cam", "token": "t"})  # the operator ends it
            await first.recv_type("stream_removed")
            async with client_of(server) as second:
                await second.send({"type": "webrtc_offer", "id": "cam", "sdp": await offer_sdp(peers[1]), "token": "t"})
                answer = await second.recv_type("webrtc_answer", timeout=20)
                await peers[1].setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
                reused = server.streams["cam"]
                # The first page no longer owns "cam": without the token it cannot close it.
                await first.send({"type": "webrtc_close", "id": "cam"})
                assert (await first.recv_type("error"))["code"] == "forbidden"
                await first.connection.close()  # nor does its leaving end it
                await asyncio.sleep(0.2)
                assert server.streams.get("cam") is reused
        for peer in peers:
            await peer.close()
