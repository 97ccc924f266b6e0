"""The fake camera of the camera page's browser test, from a real video.

`sports2d_clip.mp4` (in the repository) is the first FRAMES frames of
Sports2D's demo video (`Sports2D/Demo/demo.mp4` in PyPI `sports2d==0.8.34`,
BSD-3-Clause, see LICENSE-sports2d.txt; 1768x994, 30 fps), cropped to the
16:9 region around the person jumping on the box (so the person fills more
of the small frame) and scaled to WIDTH x HEIGHT, H.264. Chromium's
`--use-file-for-fake-video-capture` plays only raw YUV4MPEG2 files (20 MB
for this clip), so the test writes the .y4m from the .mp4 (`write_y4m`).

Regenerate the .mp4 from the repository root (needs the source video, not shipped):
    .venv/bin/python tests/data/make_sports2d_clip.py /path/to/sports2d_demo.mp4
"""

from __future__ import annotations

import sys
from pathlib import Path

import av
import cv2

WIDTH, HEIGHT, FPS = 640, 360, 30
FRAMES = 60
# The crop in the source's pixels: x0, y0, width, height (16:9).
CROP = (240, 0, 800, 450)
CLIP = Path(__file__).resolve().parent / "sports2d_clip.mp4"


def make_clip(video: str) -> None:
    """Write CLIP from the first FRAMES frames of `video`."""
    x0, y0, w, h = CROP
    written = 0
    with av.open(video) as source, av.open(str(CLIP), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "18", "preset": "slow"}
        for frame in source.decode(video=0):
            image = frame.to_ndarray(format="bgr24")[y0 : y0 + h, x0 : x0 + w]  # (h, w, 3)
            image = cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)  # (H, W, 3)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
            written += 1
            if written == FRAMES:
                break
        out.mux(stream.encode(None))
    if written != FRAMES:
        raise SystemExit(f"{video}: only {written} frames, {FRAMES} needed")
    print(f"wrote {CLIP} ({CLIP.stat().st_size} bytes, {written} frames)")


def write_y4m(clip: Path, out: Path) -> Path:
    """Decode `clip` into the raw YUV4MPEG2 file `out` that Chromium's fake camera plays."""
    with av.open(str(clip)) as container, out.open("wb") as file:
        video = container.streams.video[0]
        rate = video.average_rate
        # C420jpeg: 4:2:0 with centred chroma, what Chromium's y4m reader expects.
        file.write(f"YUV4MPEG2 W{video.width} H{video.height} F{rate.numerator}:{rate.denominator} "
                   f"Ip A1:1 C420jpeg\n".encode())
        for frame in container.decode(video):
            planes = frame.to_ndarray(format="yuv420p")  # (H * 3 / 2, W): Y, then U, then V
            file.write(b"FRAME\n" + planes.tobytes())
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    make_clip(sys.argv[1])
