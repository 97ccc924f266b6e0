"""`skillstream serve` as a user runs it: a real subprocess, its URL line, /health, signals, bad input."""

import signal
import time

import pytest

from tests.conftest import scaled_timeout
from tests.stream.server.conftest import ServeProcess, short_routine  # noqa: F401 (a fixture)

ERROR_PREFIX = "skillstream serve: error: "


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_answers_health_and_stops_on_a_signal(tmp_path, short_routine, signum):
    with ServeProcess(tmp_path, "--source", f"r=openpose:{short_routine}?pace=realtime") as serve:
        assert serve.port > 0
        health = serve.health()
        assert health["status"] == "ok" and health["protocol"] == 1
        assert health["streams"] == {"r": "live"}
        asked = time.monotonic()
        assert serve.stop(signum) == 0
        assert time.monotonic() - asked < scaled_timeout(5)
    lines = serve.stdout.splitlines()
    assert f"ws://127.0.0.1:{serve.port}/ws" in lines[0] and lines[0].endswith("streams: r")
    assert lines[-1] == "skillstream: stopped"
    assert "Traceback" not in serve.stderr


def test_a_config_file_with_an_unknown_key_is_refused_naming_it(run_cli, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[server]\nport = 0\nprot = 8000\n")
    status, out, err = run_cli("serve", "--config", config)
    assert status == 2 and out == ""
    assert error_lines(err) == err.splitlines()
    [line] = error_lines(err)
    assert str(config) in line and "server.prot" in line and "unknown key" in line


@pytest.mark.parametrize("source, words", [
    ("r", ["--source 'r'", "ID=URI"]),
    ("=openpose:/x", ["--source '=openpose:/x'", "ID=URI"]),
])
def test_a_source_without_id_is_refused(run_cli, source, words):
    status, out, err = run_cli("serve", "--source", source)
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(ERROR_PREFIX) and all(word in line for word in words), line


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_refused(run_cli, port):
    status, out, err = run_cli("serve", "--port", port)
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(ERROR_PREFIX) and "server.port" in line and port in line


def test_a_port_that_is_no_number_is_a_usage_error(run_cli, capsys):
    with pytest.raises(SystemExit) as caught:
        run_cli("serve", "--port", "eighty")
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "skillstream serve: error: argument --port: invalid int value: 'eighty'"


def test_when_every_source_fails_serve_exits_2_naming_each(tmp_path):
    missing = tmp_path / "no_such_folder"
    serve = ServeProcess(tmp_path, "--source", "a=ftp://host/x", "--source", f"b=openpose:{missing}")
    with pytest.raises(AssertionError, match="serve exited with 2"):
        serve.start()
    assert "serving" not in serve.stdout
    [line] = error_lines(serve.stderr)
    assert "no stream could start" in line
    assert "a: 'ftp://host/x': unknown source scheme 'ftp'" in line
    assert f"b: 'openpose:{missing}'" in line and str(missing) in line.split("b: ", 1)[1]
    assert "Traceback" not in serve.stderr
