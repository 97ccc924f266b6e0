"""Stream sources: every feed behind the one interface of `base.Source`.

`create_source("openpose:DIR?pace=max", options)` parses the URI and hands
it to the module that owns its scheme (`SOURCE_MODULES`); each such module
has `create(uri, options) -> Source`. A new kind of source adds a module and
a line here, not a branch in the server.
"""

from __future__ import annotations

import importlib

from skillstream.config import SourceOptions

from .base import NETWORK_SCHEMES, Frame, Pacer, Source, SourceEnded, SourceError, SourceURI

SOURCE_MODULES: dict[str, str] = {
    "synth": "synth",
    "openpose": "keypoints",
    "npz": "keypoints",
    "record": "record",
    "file": "video",
    "camera": "video",
    **{scheme: "video" for scheme in NETWORK_SCHEMES},
}


def create_source(text: str, options: SourceOptions) -> Source:
    """The source for the URI `text` (not started). SourceError names the URI and the reason."""
    uri = SourceURI.parse(text)
    module = SOURCE_MODULES.get(uri.scheme)
    if module is None:
        raise SourceError(f"{text!r}: unknown source scheme {uri.scheme!r} "
                          f"(known: {', '.join(sorted(SOURCE_MODULES))})")
    return importlib.import_module(f"{__name__}.{module}").create(uri, options)


__all__ = ["SOURCE_MODULES", "Frame", "Pacer", "Source", "SourceEnded", "SourceError", "SourceURI", "create_source"]
