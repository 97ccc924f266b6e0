"""The camera page (clients/camera/) in real Chromium against a real server.

Chromium's fake camera plays a .y4m written from tests/data/sports2d_clip.mp4
(a real video, see tests/data/LICENSE-sports2d.txt) in a loop; the page sends it over WebRTC to
`skillstream serve` (a subprocess with a token and `webrtc.allow_loopback`).
A Python websocket client subscribed to every stream watches from the server
side: the frame rate into the server, the poses, the end of the stream when
the page is closed. tests/clients/camera.mjs drives the page and reports what
the page itself saw (its poses, the delays) in JSON lines. Screenshots:
artifacts/screenshots/camera.png and camera-phone.png.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from websockets.sync.client import connect

from tests.conftest import REPO, scaled_timeout
from tests.stream.server.conftest import wait_until

from .conftest import WsWatcher

CLIP_TOOLS = REPO / "tests" / "data" / "make_sports2d_clip.py"
STREAM = "camera-1"
TOKEN = "coach-token"
CONFIG = f'[sources]\n[server]\ntoken = "{TOKEN}"\n[webrtc]\nallow_loopback = true\n'
CLIP_SIZE = (640, 360)   # the y4m's frame size, which the page must send unscaled
STREAM_SECONDS = 5       # streaming after the first skeleton is on the page
MIN_FPS_IN = 10.0        # the camera plays at 30 fps; below this the feed is not usable live
MAX_POSE_GAP_S = 0.5     # no longer silence between two processed frames while streaming
END_WITHIN_S = 5.0       # the stream ends this soon after the page closes


@pytest.fixture(scope="module")
def camera_clip(tmp_path_factory):
    """The fake camera's raw .y4m, written from the repository's small .mp4 clip."""
    spec = importlib.util.spec_from_file_location("make_sports2d_clip", CLIP_TOOLS)
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    return tools.write_y4m(tools.CLIP, tmp_path_factory.mktemp("camera") / "sports2d_clip.y4m")


def test_the_page_streams_its_camera_and_draws_the_server_skeletons(serve, node, artifacts, camera_clip):
    server = serve(config=CONFIG)
    watcher = WsWatcher(server.port, {"streams": ["*"], "topics": ["pose", "status"], "pose_fps": 0})
    screenshot = artifacts / "screenshots" / "camera.png"
    screenshot.unlink(missing_ok=True)
    screenshot.with_name("camera-phone.png").unlink(missing_ok=True)
    driver = node("camera.mjs", server.url, STREAM, TOKEN, str(camera_clip), str(screenshot), str(STREAM_SECONDS))
    page = driver.receive(timeout=60)
    assert page["phase"] == "streaming" and page["console"] == [], page
    # One offer, answered; both connections up while streaming; the clip sent at its size.
    assert (page["offers"], page["answers"], page["errors"]) == (1, 1, [])
    assert (page["wsState"], page["pcState"]) == ("connected", "connected")
    assert (page["rtp"]["frameWidth"], page["rtp"]["frameHeight"]) == CLIP_SIZE
    # The page got its own stream's poses, drew them, and they arrive without a backlog.
    assert page["poses"] >= STREAM_SECONDS * MIN_FPS_IN
    assert page["poses25"] == page["poses"]
    assert page["limbsDrawn"] > 0
    assert 0 <= page["medianDelayMs"] < 1000
    assert page["medianFrameDelayMs"] < 1000
    assert screenshot.stat().st_size > 0 and screenshot.with_name("camera-phone.png").stat().st_size > 0

    # The server side, while the page still streams: a live stream of the clip's size, fed at a steady rate.
    ours = [m for m in list(watcher.messages) if m.get("stream") == STREAM]
    start = next(m for m in ours if m["type"] == "stream_start")
    assert (start["source"], start["live"], start["width"], start["height"]) == (f"webrtc:{STREAM}", True, *CLIP_SIZE)
    poses = [m for m in ours if m["type"] == "pose"]
    # The steady rate, once the pose model is warm (the first processed frame) and the
    # status's rate window (2 s) holds only frames after it.
    steady = poses[0]["server_time"] + 2.0
    statuses = [m for m in ours if m["type"] == "status" and m["server_time"] >= steady]
    assert len(statuses) >= STREAM_SECONDS - 3, [m["type"] for m in ours]
    assert min(s["fps_in"] for s in statuses) >= MIN_FPS_IN, [s["fps_in"] for s in statuses]
    assert all(len(m["keypoints"]) == 25 and all(len(p) == 3 for p in m["keypoints"]) for m in poses)
    assert max(b["server_time"] - a["server_time"] for a, b in zip(poses, poses[1:])) <= MAX_POSE_GAP_S
    # The real clip shows one person all along: nearly every frame has a body.
    assert sum(any(p[2] > 0 for p in m["keypoints"]) for m in poses) >= 0.8 * len(poses)
    assert not any(m["type"] == "stream_end" for m in ours)

    # Closing the page ends the stream.
    driver.send({"command": "close"})
    closed = driver.receive(timeout=30)
    assert closed["phase"] == "closed"
    end = wait_until(lambda: watcher.of_type("stream_end"), END_WITHIN_S, f"stream_end of {STREAM}")[0]
    assert (end["stream"], end["reason"]) == (STREAM, "finished")
    assert end["server_time"] - closed["closedAt"] <= END_WITHIN_S
    assert end["frames"] >= len(poses)
    driver.finish()
    watcher.close()
    assert server.stop() == 0, server.stderr


def test_an_offer_needs_the_token_and_a_real_sdp(serve):
    server = serve(config=CONFIG)
    garbage = {"type": "webrtc_offer", "id": "cam-x", "sdp": "v=0\r\ngarbage\r\n"}
    replies = []
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=scaled_timeout(10)) as ws:
        assert json.loads(ws.recv(scaled_timeout(10)))["type"] == "hello"
        for message in (garbage, {**garbage, "token": TOKEN}):
            ws.send(json.dumps(message))
            replies.append(json.loads(ws.recv(scaled_timeout(10))))
    forbidden, bad_offer = replies
    assert (forbidden["type"], forbidden["code"]) == ("error", "forbidden")
    assert (bad_offer["type"], bad_offer["code"]) == ("error", "bad_offer")
    assert "cam-x" in bad_offer["message"]
    assert all(stream["id"] != "cam-x" for stream in server.health()["streams"])
