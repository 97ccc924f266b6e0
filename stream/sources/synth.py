"""`synth:?seed=S[&seconds=N][&pace=realtime|max]`: a synthetic beam routine, looping forever.

The routine is the one `skillstream synth --routine N --seed S` writes (same
generator, same random stream; default options), N seconds (10-3600;
default `source_options.synth_seconds`) at 30 fps in a 1280 x 720 frame,
its keypoints rounded as the recorder keeps them (`record.round_keypoints`),
so that a recording of this stream replays exactly. `seed` defaults to 0.

It is generated in a worker thread by `start()` (the loop keeps running,
though the generator holds the GIL much of the time): measured on one core,
0.7-0.8 s for the default 120 s, 8 s for 600 s. Then it loops: frame k has
index k and ts k / 30, across loops, and it never ends. At the seam the
gymnast and the camera jump from where the routine ends to where it began
(she is standing at both), which the segmenter sees as one frame of fast
motion.

`live` is False: a generated stream need never drop a frame, so it is lossless
like a recorded one; it paces itself in real time by default (`pace=max`:
as fast as the pipeline takes it), and after a stall of the pipeline it
catches up at once, keeping ts = index / fps.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from skillstream.config import SourceOptions
from skillstream.models.synth import SynthOptions, generate_routine
from skillstream.models.synth.routine import ROUTINE_SECONDS
from skillstream.stream.record.writer import round_keypoints

from .base import SourceError, SourceURI
from .keypoints import ReplaySource, Track, number_param, pace_param


class SynthSource(ReplaySource):
    """A looping synthetic routine (see the module's docstring)."""

    def __init__(self, uri: SourceURI, seed: int, seconds: float, pace: str) -> None:
        super().__init__(uri, pace, loop=True)
        self.seed = seed
        self.seconds = seconds

    def _load(self) -> Track:
        # The random stream of `write_routine` for this seed: the same routine as on disk.
        rng = np.random.default_rng(np.random.SeedSequence([self.seed]))
        clip = generate_routine(self.seconds, rng, SynthOptions(), source=self.uri.text)[0].clip
        return Track.from_clip(dataclasses.replace(clip, keypoints=round_keypoints(clip.keypoints)))


def create(uri: SourceURI, options: SourceOptions) -> SynthSource:
    """The source for a `synth:` URI (not started); SourceError for bad options."""
    uri.check_params(("seed", "seconds", "pace"))
    if uri.target:
        raise SourceError(f"{uri.text!r}: synth takes no path (write synth:?seed=S)")
    text = uri.params.get("seed", "0")
    if not (text.isascii() and text.isdigit()):
        raise SourceError(f"{uri.text!r}: seed must be a non-negative integer, got {text!r}")
    seconds = number_param(uri, "seconds", options.synth_seconds, low=ROUTINE_SECONDS[0], high=ROUTINE_SECONDS[1])
    return SynthSource(uri, int(text), seconds, pace_param(uri))
