"""The log's static read API (C2SP tlog-tiles) at /tlog/: `checkpoint`, `tile/<L>/<N>[.p/<W>]`
and `tile/entries/<N>[.p/<W>]`. Plain ASGI, mounted beside the API: a tile is bytes from the
database (or, once read, from memory: full tiles never change), with long-lived cache headers,
so that a CDN in front can answer nearly everything."""

from __future__ import annotations

import gzip
import time
from typing import Any

from distillgov.registry import tiles
from distillgov.registry.log import TransparencyLog
from distillgov.service.decisions import Bounded

PREFIX = "/tlog"
IMMUTABLE = b"public, max-age=31536000, immutable"


class TileServer:
    def __init__(self, log: TransparencyLog, remember: int = 4096) -> None:
        self.log = log
        self._full = Bounded[str, bytes](remember)
        self._head: tuple[int, str, float] | None = None  # size, note, when read

    def _checkpoint(self) -> tuple[int, str]:
        """The latest signed checkpoint, read again at most once a second."""
        now = time.monotonic()
        if self._head is None or now - self._head[2] > 1.0:
            signed = self.log.published()
            self._head = (signed[0], signed[1], now) if signed else (0, "", now)
        return self._head[0], self._head[1]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "GET":
            await _answer(send, 405, b"GET only\n", headers=[(b"allow", b"GET")])
            return
        path = scope["path"].removeprefix(PREFIX).lstrip("/")
        if path == "checkpoint":
            size, note = self._checkpoint()
            if not note:
                await _answer(send, 404, b"no checkpoint has been signed yet\n")
                return
            fresh = [(b"cache-control", b"public, max-age=5")]  # it changes: a few seconds
            await _answer(send, 200, note.encode(), headers=fresh)
            return
        try:
            tile = tiles.parse(path)
            body = self._full.get(path)
            if body is None:
                size, _ = self._checkpoint()
                body = tiles.fetch(self.log.engine, tile, size)
                if not tile.partial:
                    self._full.put(path, body)
        except tiles.UnknownTile as exc:
            await _answer(send, 404, f"{exc}\n".encode())
            return
        headers = [(b"cache-control", IMMUTABLE)]
        accepts = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"")
        if tile.level < 0 and b"gzip" in accepts:  # entry bundles compress well; tiles do not
            body = gzip.compress(body, 6)
            headers.append((b"content-encoding", b"gzip"))
        await _answer(send, 200, body, b"application/octet-stream", headers)


async def _answer(
    send: Any,
    status: int,
    body: bytes,
    media_type: bytes = b"text/plain; charset=utf-8",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
