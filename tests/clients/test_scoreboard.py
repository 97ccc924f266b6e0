"""The scoreboard page in a real browser against a real server, beside a plain websocket client."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillstream.models.synth.routine import write_routine
from tests.stream.server.conftest import wait_until

from .conftest import WsWatcher

ROUTINE_SECONDS = 30
ROUTINE_SEED = 8  # its first two skills end 3.2 s and 7.1 s in: a short wait at real-time pace
SKILLS_LIVE = 2
HISTORY_SHOWN = 30  # rows in a tile's history table (clients/scoreboard/scoreboard.js)
PHONE_WIDTH = 390
WATCH = {"streams": ["*"], "topics": ["skill", "segment"], "history": True}


@pytest.fixture(scope="module")
def routine(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scoreboard_routine")
    write_routine(folder, ROUTINE_SECONDS, ROUTINE_SEED)
    return folder


def pretty(label: str) -> str:
    return label.replace("_", " ").capitalize()


def labels_of(watcher: WsWatcher) -> list[str]:
    return [m["label"] for m in watcher.of_type("skill") if m["is_skill"]]


def test_scoreboard_live_restart_and_history(serve, node, artifacts, routine):
    # Phase 1: a real-time stream; the page and a Python client watch it side by side.
    first = serve(f"demo=openpose:{routine}?pace=realtime")
    watcher = WsWatcher(first.port, WATCH)
    driver = node("scoreboard.mjs", first.url, "demo", str(SKILLS_LIVE), str(artifacts / "screenshots"))
    live = driver.receive(timeout=60)
    assert live["phase"] == "live"
    assert live["pageErrors"] == [] and live["consoleErrors"] == []
    assert live["connection"] == "connected" and live["streams"] == ["demo"]
    tile = live["tile"]
    shown = tile["labels"]
    assert len(shown) >= SKILLS_LIVE
    assert tile["historyLabels"] == shown  # the table shows what the page received, oldest first
    wait_until(lambda: len(labels_of(watcher)) >= len(shown), 15, "the Python client to see the page's skills")
    assert shown == labels_of(watcher)[:len(shown)]
    assert tile["lastSkill"] == shown[-1] and tile["lastSkillText"] == pretty(shown[-1])
    assert tile["state"] == "live" and tile["stateText"] == "live"
    assert tile["timelineMarks"] == len(shown)
    assert tile["poseFramesDrawn"] > 0 and tile["paintedPixels"] > 200  # a skeleton, not a blank canvas
    phone = live["phone"]
    assert phone["viewportWidth"] == PHONE_WIDTH
    assert phone["scrollWidth"] <= PHONE_WIDTH and phone["tile"]["width"] <= PHONE_WIDTH  # no sideways scrolling
    for name in ("scoreboard.png", "scoreboard-phone.png"):
        assert (artifacts / "screenshots" / name).stat().st_size > 10_000

    # Phase 2: the server goes away; the page says so.
    assert first.stop() == 0
    watcher.close()
    driver.send({"command": "stopped"})
    down = driver.receive(timeout=30)
    assert down["connection"] == "disconnected" and "disconnected" in down["connectionText"]

    # Phase 3: a new server on the same port replays the whole routine at once; the page
    # reconnects by itself and rebuilds the tile from the history replay alone.
    second = serve(f"demo=openpose:{routine}?pace=max", port=first.port)
    watcher = WsWatcher(second.port, WATCH)
    wait_until(lambda: watcher.of_type("stream_end"), 30, "the replayed stream to end")
    expected = labels_of(watcher)
    driver.send({"command": "restarted", "state": "ended"})
    back = driver.receive(timeout=30)
    assert back["pageErrors"] == []
    assert back["connection"] == "connected" and back["reconnects"] == 1
    tile = back["tile"]
    assert tile["labels"] == expected  # nothing from before the restart, nothing twice
    assert tile["historyLabels"] == expected[-HISTORY_SHOWN:]
    assert tile["lastSkillText"] == pretty(expected[-1]) and tile["stateText"] == "ended"
    assert tile["timelineMarks"] == len(expected)
    watcher.close()
    driver.finish()
