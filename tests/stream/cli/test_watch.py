"""`skillstream watch` against a real server: the table, JSON lines, a bad URL, an ended stream."""

import asyncio
import io
import json
import subprocess
import sys

from skillstream.clients.terminal import header, row, watch
from tests.conftest import scaled_timeout
from tests.stream.server.conftest import (ServeProcess, classifier, client_of, running_server,  # noqa: F401 (fixtures)
                                          short_routine, wait_until)

TOKEN = "watch-test-token"


def start_watch(folder, port, *flags):
    """`skillstream watch ws://127.0.0.1:PORT/ws --exit-on-end FLAGS` with stdout and stderr in files."""
    out, err = folder / f"watch{'_'.join(flags)}.stdout", folder / f"watch{'_'.join(flags)}.stderr"
    with open(out, "wb") as out_file, open(err, "wb") as err_file:
        process = subprocess.Popen([sys.executable, "-m", "skillstream.stream", "watch",
                                    f"ws://127.0.0.1:{port}/ws", "--exit-on-end", *flags],
                                   stdout=out_file, stderr=err_file, stdin=subprocess.DEVNULL)
    return process, out, err


async def test_watch_prints_a_row_and_a_json_line_per_skill_event(tmp_path, short_routine):
    config = tmp_path / "server.toml"
    # No stream at start-up: the stream is added once every client is subscribed, so none misses an event.
    config.write_text(f'[sources]\n\n[server]\ntoken = "{TOKEN}"\n')
    with ServeProcess(tmp_path, "--config", str(config)) as serve:
        table, table_out, table_err = start_watch(tmp_path, serve.port)
        lines, lines_out, lines_err = start_watch(tmp_path, serve.port, "--json")
        try:
            async with client_of(serve, {"streams": ["*"], "topics": ["skill"]}) as client:
                await asyncio.to_thread(wait_until, lambda: serve.health()["clients"] == 3, 30,
                                        "both watch clients to connect")
                # watch subscribes as soon as it reads `hello`; this leaves it ample time to.
                await asyncio.sleep(0.3)
                await client.send({"type": "add_stream", "id": "r", "source": f"openpose:{short_routine}?pace=max",
                                   "token": TOKEN})
                messages = await client.until_stream_end()
            assert await asyncio.to_thread(table.wait, scaled_timeout(30)) == 0
            assert await asyncio.to_thread(lines.wait, scaled_timeout(30)) == 0
        finally:
            for process in (table, lines):
                if process.poll() is None:
                    process.kill()
                    process.wait()
    assert messages[-1]["reason"] == "finished"
    skills = [m for m in messages if m["type"] == "skill"]
    assert len(skills) >= 5  # the 60 s routine holds 11 skills

    printed = table_out.read_text().splitlines()
    assert printed[0] == f"# connected to ws://127.0.0.1:{serve.port}/ws: streams none yet"
    assert printed[1] == header()
    assert printed[2:] == [row(m) for m in skills] + ["# stream r ended (finished)"]
    assert table_err.read_text() == ""

    received = [json.loads(line) for line in lines_out.read_text().splitlines()]
    assert [m["label"] for m in received] == [m["label"] for m in skills]
    assert received == skills
    assert lines_err.read_text() == ""


def test_a_bad_url_exits_2_with_a_clear_message(run_cli):
    status, out, err = run_cli("watch", "notaurl")
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("skillstream watch: error: notaurl: ") and "ws or wss" in line


async def test_exit_on_end_prints_the_history_of_a_stream_that_ended_before_it_connected(classifier, short_routine):
    async with running_server(classifier, sources={"r": f"openpose:{short_routine}?pace=max"}) as server:
        while server.streams:
            await asyncio.sleep(0.05)
        url = f"ws://127.0.0.1:{server.port}/ws"
        out = io.StringIO()
        status = await asyncio.wait_for(watch(url, exit_on_end=True, out=out), scaled_timeout(10))
        skills = [json.loads(text) for kind, text in server.ended["r"].history if kind == "skill"]
    assert status == 0
    assert len(skills) >= 5
    assert out.getvalue().splitlines() == [f"# connected to {url}: streams r", header(), *map(row, skills),
                                           "# stream r ended (finished)"]
