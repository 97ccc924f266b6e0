import dataclasses
import re

import pytest

from skillstream.config import DEFAULT_CONFIG, Config, ConfigError, load_config


def write(tmp_path, text):
    path = tmp_path / "serve.toml"
    path.write_text(text)
    return path


def test_default_file_builds_every_section():
    config = load_config()
    assert isinstance(config, Config)
    assert config.server.port == 8765 and config.pose.backend == "mediapipe"
    assert config.pose.openpose.net_resolution == "-1x368"
    assert config.sources == {"demo": "synth:?seed=0"}


def test_every_default_key_is_documented():
    lines = DEFAULT_CONFIG.read_text().splitlines()
    undocumented = [line for i, line in enumerate(lines)
                    if re.match(r"^[a-z_]+ = ", line) and "#" not in line and not lines[i - 1].startswith("#")]
    assert undocumented == []


def test_user_file_changes_only_what_it_names(tmp_path):
    config = load_config(write(tmp_path, "[server]\nport = 9000\n[pose.openpose]\nnumber_people_max = 3\n"))
    default = load_config()
    assert config.server.port == 9000 and config.server.host == default.server.host
    assert config.pose.openpose.number_people_max == 3
    assert config.pose.openpose.net_resolution == default.pose.openpose.net_resolution
    assert config.segmenter == default.segmenter


def test_sources_are_replaced_not_merged(tmp_path):
    config = load_config(write(tmp_path, '[sources]\nbeam = "camera:0"\n'))
    assert config.sources == {"beam": "camera:0"}


def test_overrides_win_over_files(tmp_path):
    config = load_config(write(tmp_path, "[server]\nport = 9000\n"),
                         {"server.port": 0, "sources": {"r": "npz:x.npz"}, "record.dir": "rec"})
    assert (config.server.port, config.sources, config.record.dir) == (0, {"r": "npz:x.npz"}, "rec")


def test_integers_are_accepted_as_floats():
    assert load_config(overrides={"clients.pose_fps": 15}).clients.pose_fps == 15.0


@pytest.mark.parametrize("text, words", [
    ("[server]\nprot = 1\n", "server.prot: unknown key"),
    ("[servers]\nport = 1\n", "servers: unknown key"),
    ("[server]\nport = \"80\"\n", "server.port: expected an integer, got '80'"),
    ("[server]\nport = 70000\n", "server.port: must be 0-65535"),
    ("[model]\nno_skill = \"hide\"\n", "model.no_skill: must be one of 'suppress', 'report'"),
    ("[pose]\nbackend = \"yolo\"\n", "pose.backend: must be one of"),
    ("[pose]\ntest_time_rotation = 1\n", "pose.test_time_rotation: expected true or false"),
    ("[pose]\nopenpose = 3\n", "pose.openpose: expected a table"),
    ("[pose.openpose]\nnet_resolution = \"big\"\n", "pose.openpose.net_resolution"),
    ("[clients]\nsend_queue = 1\n", "clients.send_queue: must be at least 4"),
    ("[sources]\n\"bad id!\" = \"camera:0\"\n", "sources.bad id!: stream id"),
    ("[sources]\nbeam = 3\n", "sources.beam: expected a string"),
    ("server = 3\n", "server: expected a table"),
])
def test_bad_values_name_the_key(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert words in str(caught.value)


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.toml: cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"serve.toml: not valid TOML"):
        load_config(write(tmp_path, "[server\n"))


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_config().server.port = 1
