"""Running one `skillstream` sub-command in-process."""

from __future__ import annotations

import pytest

from skillstream.stream import cli


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`run_cli(COMMAND, *ARGS)` runs `skillstream COMMAND ARGS` and returns
    (exit status, stdout, stderr). Only COMMAND's module is registered, so a
    test does not depend on the other commands."""

    def run(command: str, *args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(cli, "COMMANDS", (command.replace("-", "_"),))
        status = cli.main([command, *map(str, args)])
        out, err = capsys.readouterr()
        return status, out, err

    return run
