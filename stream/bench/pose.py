"""Time pose estimation through the PoseService on real videos; upside-down bodies.

The first --frames frames of each --video (default: the two demo videos of
the shared data folder, $SKILLSTREAM_SHARED_DATA or ../shared/data beside
the checkout) are decoded into memory first, so that decoding is not timed.
Then, with the configured backend ([pose] of the default configuration,
test-time rotation as configured):

- one stream: the videos one after the other through `PoseService.estimate`,
  as the server feeds a `?pace=max` file source: frames per second, latency
  per frame (estimate() call to answer, p50/p99 ms), detection rate (frames
  with a skeleton);
- --streams K streams at once, stream i playing video i mod the number of
  videos: frames per second in all, latency p50/p99;
- the inverted-frames experiment: every frame upright and turned 180
  degrees, each without and with test-time rotation (`stream.pose.rotation`),
  each orientation a fresh stream: detection rate, and the keypoint error
  against the upright result without rotation (turned back into the upright
  frame; median over the points found in both, in pixels and in body
  heights of the upright skeleton).

The first frame of each stream is not timed (it loads the stream's model).
--repeat repeats the two timed runs and keeps the fastest. Target: at least
25 frames/s for one mediapipe stream.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from skillstream.config import PoseSettings, load_config
from skillstream.stream.pose import PoseBackend, create_backend
from skillstream.stream.pose.rotation import RotatingBackend, rotate_image_180, rotate_keypoints_180
from skillstream.stream.pose.service import PoseService

from . import positive_int, shared_data_folder

DEFAULT_REPEAT = 1
DEFAULT_FRAMES = 60
DEFAULT_STREAMS = 2
TARGET_FPS = 25.0  # one stream, mediapipe
DEMO_VIDEOS = ("pose2sim_cam01.mp4", "sports2d_demo.mp4")

Clips = dict[str, list[np.ndarray]]  # video name -> uint8 (H, W, 3) BGR frames
BackendFactory = Callable[[PoseSettings], PoseBackend]


def default_videos() -> list[str]:
    """The demo videos of the shared data folder that exist."""
    folder = shared_data_folder() / "videos"
    return [str(folder / name) for name in DEMO_VIDEOS if (folder / name).is_file()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", action="append", metavar="PATH",
                        help="a video to use (repeatable; default: the shared demo videos)")
    parser.add_argument("--frames", type=positive_int, default=DEFAULT_FRAMES, metavar="N",
                        help="frames used from each video (default %(default)s)")
    parser.add_argument("--streams", type=positive_int, default=DEFAULT_STREAMS, metavar="K",
                        help="streams at once in the multi-stream run (default %(default)s)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    videos = args.video or default_videos()
    if not videos:
        raise SystemExit("bench pose: no --video given and the shared demo videos were not found "
                         "(set SKILLSTREAM_SHARED_DATA)")
    return bench_pose(load_clips(videos, args.frames), load_config().pose, streams=args.streams,
                      repeat=args.repeat)


def load_clips(paths: list[str], frames: int) -> Clips:
    """The first `frames` frames of each video (fewer if it is shorter); ValueError names an unreadable one."""
    import cv2

    clips: Clips = {}
    for path in paths:
        capture = cv2.VideoCapture(path)
        images = []
        while len(images) < frames:
            ok, image = capture.read()
            if not ok:
                break
            images.append(image)
        capture.release()
        if not images:
            raise ValueError(f"bench pose: cannot decode a frame of {path!r}")
        clips[Path(path).name] = images
    return clips


def bench_pose(clips: Clips, settings: PoseSettings, streams: int = DEFAULT_STREAMS, repeat: int = 1,
               backend_factory: BackendFactory = create_backend) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`)."""
    started = time.perf_counter()
    runs = asyncio.run(_timed_runs(backend_factory(settings), settings, clips, streams, repeat))
    load_and_run_s = time.perf_counter() - started
    inverted = inverted_experiment(backend_factory(dataclasses.replace(settings, test_time_rotation=False)), clips)
    one = runs["one"]
    return {
        "benchmark": "pose",
        "backend": runs["backend"],
        "test_time_rotation": settings.test_time_rotation,
        "workers": runs["workers"],
        "videos": [{"name": name, "frames": len(images), "width": images[0].shape[1],
                    "height": images[0].shape[0]} for name, images in clips.items()],
        "repeat": repeat,
        "one_stream": one,
        "streams": runs["multi"],
        "timed_runs_s": load_and_run_s,
        "inverted": inverted,
        "target": {"fps": TARGET_FPS, "met": one["fps"] >= TARGET_FPS},
    }


async def _timed_runs(backend: PoseBackend, settings: PoseSettings, clips: Clips, streams: int,
                      repeat: int) -> dict[str, Any]:
    service = PoseService(backend, settings)
    await service.startup()
    try:
        videos = list(clips.values())
        one = multi = None
        for attempt in range(repeat):
            result = await _play(service, [images for images in videos], f"one{attempt}", sequential=True)
            one = result if one is None or result["fps"] > one["fps"] else one
            result = await _play(service, [videos[i % len(videos)] for i in range(streams)], f"multi{attempt}",
                                 sequential=False)
            multi = result if multi is None or result["fps"] > multi["fps"] else multi
        return {"backend": backend.name, "workers": service.workers, "one": one, "multi": {"count": streams, **multi}}
    finally:
        await service.shutdown()


async def _play(service: PoseService, videos: list[list[np.ndarray]], prefix: str,
                sequential: bool) -> dict[str, Any]:
    """Each video through its own stream, one after the other (`sequential`) or all at once."""
    latencies: list[float] = []
    found = 0
    stream_ids = [f"{prefix}-{i}" for i in range(len(videos))]

    async def warm_up(stream_id: str, images: list[np.ndarray]) -> None:
        service.open_stream(stream_id)
        await service.estimate(stream_id, images[0])  # untimed: loads the stream's model

    async def play(stream_id: str, images: list[np.ndarray]) -> None:
        nonlocal found
        for image in images[1:]:
            started = time.perf_counter()
            keypoints = await service.estimate(stream_id, image)
            latencies.append((time.perf_counter() - started) * 1e3)
            found += bool(keypoints[:, 2].any())
        service.close_stream(stream_id)

    wall = 0.0
    if sequential:
        for stream_id, images in zip(stream_ids, videos):
            await warm_up(stream_id, images)
            started = time.perf_counter()
            await play(stream_id, images)
            wall += time.perf_counter() - started
    else:
        await asyncio.gather(*(warm_up(stream_id, images) for stream_id, images in zip(stream_ids, videos)))
        started = time.perf_counter()
        await asyncio.gather(*(play(stream_id, images) for stream_id, images in zip(stream_ids, videos)))
        wall = time.perf_counter() - started
    timed = len(latencies)
    lat = np.asarray(latencies) if latencies else np.zeros(1)
    return {"frames": timed, "fps": timed / wall if wall > 0 else 0.0,
            "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "detection_rate": found / timed if timed else 0.0}


def inverted_experiment(backend: PoseBackend, clips: Clips) -> list[dict[str, Any]]:
    """Rows {video, orientation, rotation, detection_rate, median_error_px,
    median_error_body, rotated_share} (see the module's docstring). Closes `backend`."""
    rotating = RotatingBackend(backend)
    rows = []
    try:
        for name, images in clips.items():
            height, width = images[0].shape[:2]
            inverted = [rotate_image_180(image) for image in images]
            reference = None
            for orientation, frames in (("upright", images), ("inverted", inverted)):
                for use_rotation, runner in ((False, backend), (True, rotating)):
                    stream_id = f"{name.replace('@', '_')}-{orientation}-{int(use_rotation)}"
                    before = rotating.chosen_rotated
                    runner.open_stream(stream_id)
                    found = np.stack([runner.estimate([(stream_id, frame)])[0] for frame in frames])  # (T, 25, 3)
                    runner.close_stream(stream_id)
                    if orientation == "inverted":
                        found = rotate_keypoints_180(found, width, height)  # back into the upright frame
                    if reference is None:
                        reference = found
                    rows.append({"video": name, "orientation": orientation, "rotation": use_rotation,
                                 "detection_rate": float(found[:, :, 2].any(axis=1).mean()),
                                 **keypoint_error(found, reference),
                                 "rotated_share": (rotating.chosen_rotated - before) / len(frames)})
    finally:
        rotating.close()
    return rows


def keypoint_error(found: np.ndarray, reference: np.ndarray) -> dict[str, float | None]:
    """Median distance between `found` and `reference` (T, 25, 3) over the
    points present in both: in pixels, and in body heights (the vertical
    extent of the reference skeleton's present points in that frame). None
    when no point is present in both."""
    both = (found[..., 2] > 0) & (reference[..., 2] > 0)  # (T, 25)
    if not both.any():
        return {"median_error_px": None, "median_error_body": None}
    distance = np.linalg.norm(found[..., :2] - reference[..., :2], axis=-1)  # (T, 25)
    present = reference[..., 2] > 0
    ys = np.where(present, reference[..., 1], np.nan)  # (T, 25)
    with np.errstate(all="ignore"):
        body = np.nanmax(ys, axis=1, initial=-np.inf) - np.nanmin(ys, axis=1, initial=np.inf)  # (T,)
    relative = distance / np.maximum(body, 1.0)[:, None]
    return {"median_error_px": float(np.median(distance[both])), "median_error_body": float(np.median(relative[both]))}


def format_text(result: dict[str, Any]) -> str:
    one, multi = result["one_stream"], result["streams"]
    videos = ", ".join(f"{v['name']} ({v['frames']} frames, {v['width']}x{v['height']})" for v in result["videos"])
    lines = [
        f"pose: backend {result['backend']}, {result['workers']} workers, "
        f"test-time rotation {'on' if result['test_time_rotation'] else 'off'}; {videos}",
        f"{'run':<12} {'frames':>6} {'frames/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'detected':>9}",
        f"{'1 stream':<12} {one['frames']:>6} {one['fps']:>9.1f} {one['p50_ms']:>7.1f} {one['p99_ms']:>7.1f} "
        f"{one['detection_rate']:>8.0%}",
        f"{str(multi['count']) + ' streams':<12} {multi['frames']:>6} {multi['fps']:>9.1f} {multi['p50_ms']:>7.1f} "
        f"{multi['p99_ms']:>7.1f} {multi['detection_rate']:>8.0%}",
        "inverted frames (error vs the upright result without rotation; median over shared points):",
        f"{'video':<22} {'frames':<9} {'rotation':<9} {'detected':>9} {'error px':>9} {'body h.':>8} {'from rot.':>9}",
    ]
    for row in result["inverted"]:
        error = "-" if row["median_error_px"] is None else f"{row['median_error_px']:.1f}"
        body = "-" if row["median_error_body"] is None else f"{row['median_error_body']:.3f}"
        lines.append(f"{row['video']:<22} {row['orientation']:<9} {'on' if row['rotation'] else 'off':<9} "
                     f"{row['detection_rate']:>8.0%} {error:>9} {body:>8} {row['rotated_share']:>8.0%}")
    target = result["target"]
    lines.append(f"target: >= {target['fps']:g} frames/s for one stream: {'met' if target['met'] else 'NOT met'}")
    return "\n".join(lines)
