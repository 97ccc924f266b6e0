"""`skillstream watch ws://HOST:PORT/ws`: the terminal client (a live table of skill events)."""

from __future__ import annotations

import argparse
import asyncio

from skillstream.clients.terminal import WatchError, watch

from . import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch", help="print the skills a server recognises, live",
        description="Connect to a skillstream server and print its skill events as a live table "
                    "(or JSON lines); reconnects when the server goes away.")
    parser.add_argument("url", metavar="ws://HOST:PORT/ws", help="the server's websocket URL")
    parser.add_argument("--stream", metavar="ID", help="one stream (default: every stream)")
    parser.add_argument("--json", action="store_true", help="print each skill event as a JSON line")
    parser.add_argument("--exit-on-end", action="store_true", help="exit when every watched stream has ended")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(watch(args.url, args.stream, args.json, args.exit_on_end))
    except WatchError as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        return 0
