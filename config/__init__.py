"""The configuration: `default.toml` (every key documented) and its typed form.

`load_config(path)` returns a frozen `Config`; see `schema` for the classes
and `load` for how files and command-line overrides are laid over the
defaults.
"""

from .load import DEFAULT_CONFIG, load_config
from .schema import (ClientSettings, Config, ConfigError, ModelSettings, OpenPoseSettings, PoseSettings,
                     RecordSettings, SegmenterSettings, ServerSettings, SourceOptions, WebRTCSettings,
                     check_stream_id)

__all__ = ["DEFAULT_CONFIG", "load_config", "ClientSettings", "Config", "ConfigError", "ModelSettings",
           "OpenPoseSettings", "PoseSettings", "RecordSettings", "SegmenterSettings", "ServerSettings",
           "SourceOptions", "WebRTCSettings", "check_stream_id"]
