"""A real video through `file:` and the MediaPipe backend, to a real client that takes every pose frame."""

import pytest

from .conftest import client_of, running_server

VIDEO = "pose2sim_cam01.mp4"  # 100 frames, 60 fps, 1080x1920, one person on a force plate throughout
TOKEN = "video-test-token"


@pytest.fixture(scope="module")
def video(shared_data):
    """The video's path, frame count, frame size and frame rate as OpenCV reads them."""
    import cv2

    path = shared_data / "videos" / VIDEO
    if not path.is_file():
        pytest.skip(f"{path} not found")
    capture = cv2.VideoCapture(str(path))
    frames = 0
    while capture.read()[0]:
        frames += 1
    width, height = capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return path, frames, int(width), int(height), fps


async def test_every_frame_of_a_video_gives_a_pose_event(classifier, video):
    path, frames, width, height, fps = video
    overrides = {"server.token": TOKEN, "pose.backend": "mediapipe"}
    async with running_server(classifier, **overrides) as server:
        async with client_of(server, {"streams": ["*"], "topics": ["pose"], "pose_fps": 0, "history": False}) as client:
            # Added only now that the client is subscribed: it misses no frame.
            await client.send({"type": "add_stream", "id": "v", "source": f"file:{path}?pace=max", "token": TOKEN})
            messages = await client.until_stream_end(timeout=20)
    start = next(m for m in messages if m["type"] == "stream_start")
    assert (start["width"], start["height"]) == (width, height) and start["fps"] == pytest.approx(fps)
    end = messages[-1]
    assert (end["reason"], end["frames"]) == ("finished", frames)
    poses = [m for m in messages if m["type"] == "pose"]
    indices = [m["frame"] for m in poses]
    assert indices == sorted(set(indices)) and set(indices) <= set(range(frames))
    for pose in poses:
        assert pose["stream"] == "v" and pose["ts"] == pytest.approx(pose["frame"] / fps, abs=1e-4)
        assert len(pose["keypoints"]) == 25 and all(len(point) == 3 for point in pose["keypoints"])
        for x, y, confidence in pose["keypoints"]:
            assert 0 <= x <= width - 1 and 0 <= y <= height - 1 and 0 <= confidence <= 1
    # The person is in every frame: a pose with a skeleton must come for nearly all of them.
    found = [m for m in poses if any(value for point in m["keypoints"] for value in point)]
    assert len(found) >= 0.9 * frames, (len(found), len(poses), frames)
