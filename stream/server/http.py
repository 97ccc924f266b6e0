"""Plain HTTP on the websocket port: static client pages and the health endpoint.

websockets calls `process_request` for every request before the opening
handshake; answering with a response serves it as plain HTTP, returning None
lets the handshake go on (only at `WEBSOCKET_PATH`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

WEBSOCKET_PATH = "/ws"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' text format
CLIENTS_ROOT = Path(__file__).resolve().parents[2] / "clients"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def response(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                       ("Cache-Control", "no-cache"), ("Connection", "close")])
    return Response(status.value, status.phrase, headers, body)


def text_response(status: HTTPStatus, text: str) -> Response:
    return response(status, (text + "\n").encode(), "text/plain; charset=utf-8")


def static_path(url_path: str, root: Path = CLIENTS_ROOT) -> Path | None:
    """The file under `root` that `url_path` names ("/" and folders: index.html), or
    None when it does not exist, is outside `root`, or is not a servable type."""
    relative = url_path.split("?", 1)[0].lstrip("/")
    candidate = (root / relative).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    if candidate.suffix not in CONTENT_TYPES:
        return None
    return candidate


def _read_static(url_path: str, root: Path) -> tuple[str, bytes] | None:
    """The suffix and bytes of the static file `url_path` names (blocking: file system)."""
    found = static_path(url_path, root)
    return None if found is None else (found.suffix, found.read_bytes())


def make_request_handler(health: Callable[[], dict[str, Any]], metrics: Callable[[], str],
                         root: Path = CLIENTS_ROOT):
    """websockets' `process_request`: static files under `root`, `HEALTH_PATH`
    as JSON from `health()`, `METRICS_PATH` as Prometheus text from
    `metrics()`, the handshake at `WEBSOCKET_PATH`."""

    async def process_request(connection: Any, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == WEBSOCKET_PATH:
            return None
        if path == HEALTH_PATH:
            return response(HTTPStatus.OK, json.dumps(health()).encode(), "application/json")
        if path == METRICS_PATH:
            return response(HTTPStatus.OK, metrics().encode(), METRICS_CONTENT_TYPE)
        if "upgrade" in request.headers.get("Connection", "").lower():
            return text_response(HTTPStatus.NOT_FOUND, f"websocket endpoint is {WEBSOCKET_PATH}")
        found = await asyncio.to_thread(_read_static, path, root)
        if found is None:
            return text_response(HTTPStatus.NOT_FOUND, f"not found: {path}")
        suffix, body = found
        return response(HTTPStatus.OK, body, CONTENT_TYPES[suffix])

    return process_request
