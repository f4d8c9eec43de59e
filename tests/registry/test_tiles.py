"""The log as C2SP tlog-tiles (#14 item 3), served by `serve` at /tlog/ and written by `registry
export-tiles`, checked by a client we did not write: Go's golang.org/x/mod/sumdb/tlog and
sumdb/note (the Go checksum database's verifier), built with Debian's Go toolchain from
Debian's packaged x/mod (packages golang-go, golang-golang-x-mod-dev). Skipped with a message
where they are absent; under CI their absence fails."""

from __future__ import annotations

import base64
import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from distillgov.api.app import create_app
from distillgov.registry import tiles
from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.log import LogError
from distillgov.registry.records import Organisation
from distillgov.registry.registry import Registry
from tests.api.conftest import running

CLIENT = Path(__file__).parent / "tlogclient" / "main.go"
GOPATH = Path("/usr/share/gocode")


def test_paths_and_the_tiles_of_a_size_follow_the_spec() -> None:
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.encode_index(0) == "000" and tiles.encode_index(1000) == "x001/000"
    assert tiles.parse("tile/0/x001/x234/067") == tiles.Tile(0, 1234067)
    assert tiles.parse("tile/entries/000.p/5") == tiles.Tile(-1, 0, 5)
    bad_paths = ["tile/0/1", "tile/0/x1/000", "tile/64/000", "tile/0/000.p/256"]
    bad_paths += ["tile/00/000", "tile/0/000.p/0", "tile/0/x000/001"]
    for bad in bad_paths:
        with pytest.raises(tiles.UnknownTile):
            tiles.parse(bad)
    # The spec's worked examples: sizes 70,000 and 256.
    found = tiles.tiles_for(70_000)
    hashes = [t for t in found if t.level >= 0]
    assert len([t for t in hashes if t.level == 0 and not t.partial]) == 273
    assert [(t.level, t.width) for t in hashes if t.partial] == [(0, 112), (1, 17), (2, 1)]
    assert len([t for t in hashes if t.level == 1 and not t.partial]) == 1
    assert [(t.level, t.index, t.width) for t in tiles.tiles_for(256) if t.level >= 0] == [
        (0, 0, 256),
        (1, 0, 1),
    ]


def _log(engine: Engine, entries: int, signed_at: tuple[int, ...]) -> tuple[Registry, str]:
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    vkey = reg.log.initialise("tiles.example/tlog", key)
    done = 0
    for size in (*signed_at, entries):
        reg.add_many([Organisation(id=f"org-{n}", name=f"Org {n}") for n in range(done, size)])
        reg.log.checkpoint(key)
        done = size
    return reg, vkey


@functools.cache
def _go_client(folder: str) -> Path | None:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        return None
    out = Path(folder) / "tlogclient"
    subprocess.run(
        [go, "build", "-o", str(out), str(CLIENT)],
        check=True,
        env={
            **os.environ,
            "GO111MODULE": "off",
            "GOPATH": str(GOPATH),
            "GOCACHE": str(Path(folder) / "gocache"),
            "GOFLAGS": "",
        },
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def go_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = _go_client(str(tmp_path_factory.mktemp("go")))
    if found is None:
        message = (
            "Go and golang.org/x/mod are not installed (Debian: apt-get install golang-go "
            "golang-golang-x-mod-dev): the tiles were checked by our own reader only"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _root(note: str, vkey: str) -> tuple[int, str]:
    head = Checkpoint.parse(verify(note, *parse_verifier_key(vkey)))
    return head.size, base64.b64encode(head.root).decode()


def test_served_tiles_verify_with_gos_tlog_client(engine: Engine, go_client: Path) -> None:
    reg, vkey = _log(engine, 700, signed_at=(300,))
    old_size, old_root = _root(reg.log.checkpoints()[0]["checkpoint"], vkey)
    app = create_app(engine.url.render_as_string(hide_password=False), rate=0)
    with running(app) as base:
        done = subprocess.run(
            [str(go_client), f"{base}/tlog", vkey, str(old_size), old_root],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        size, root = _root(httpx.get(f"{base}/tlog/checkpoint").text, vkey)
        assert done.stdout.strip() == f"ok 700 {root}" and size == 700
        full = httpx.get(f"{base}/tlog/tile/0/000")
        assert full.headers["content-type"] == "application/octet-stream"
        assert "immutable" in full.headers["cache-control"] and len(full.content) == 8192
        assert httpx.get(f"{base}/tlog/tile/0/002.p/188").status_code == 200
        assert httpx.get(f"{base}/tlog/tile/0/002.p/44").status_code == 200  # size 300's tile
        assert httpx.get(f"{base}/tlog/tile/0/003.p/1").status_code == 404  # beyond the log
        assert httpx.get(f"{base}/tlog/tile/0/0").status_code == 404  # not a tile path
        bundle = httpx.get(f"{base}/tlog/tile/entries/000", headers={"accept-encoding": "gzip"})
        assert bundle.headers.get("content-encoding") == "gzip"
        with engine.connect() as c:
            first = str(c.execute(text("SELECT body FROM log_entries WHERE idx = 0")).scalar())
        # httpx undid the gzip: a 16-bit length, then the entry's bytes.
        assert bundle.content[2 : 2 + len(first)] == first.encode()
        assert int.from_bytes(bundle.content[:2], "big") == len(first.encode())
        checkpoint = httpx.get(f"{base}/tlog/checkpoint")
        assert checkpoint.headers["content-type"].startswith("text/plain")
        assert checkpoint.headers["cache-control"] == "public, max-age=5"
    app.state.engine.dispose()


@contextmanager
def _static(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_exported_tiles_verify_from_a_plain_static_server(
    engine: Engine, go_client: Path, tmp_path: Path
) -> None:
    reg, vkey = _log(engine, 600, signed_at=())
    folder = tmp_path / "public" / "tlog"
    assert reg.log.export_tiles(folder) > 1
    with _static(tmp_path / "public") as base:
        done = subprocess.run(
            [str(go_client), f"{base}/tlog", vkey], capture_output=True, text=True
        )
        assert done.returncode == 0 and done.stdout.startswith("ok 600 "), done.stdout
    assert (folder / "tile/0/002.p/88").exists() and (folder / "tile/entries/002.p/88").exists()
    assert (folder / "checkpoint").read_text() == reg.log.checkpoints()[-1]["checkpoint"]


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE log_entries SET leaf_hash = :zero WHERE idx = 5",  # a hash in a level-0 tile
        "UPDATE log_hashes SET hash = :zero WHERE id = :level8",  # the level-1 tile's hash
        "UPDATE log_entries SET body = REPLACE(body, 'Org 7', 'Org X') WHERE idx = 7",
    ],
    ids=["leaf hash", "inner hash", "entry body"],
)
def test_a_changed_row_fails_the_go_client(engine: Engine, go_client: Path, edit: str) -> None:
    from distillgov.registry.storedhashes import node_id

    _, vkey = _log(engine, 300, signed_at=())
    with engine.begin() as c:  # an insider rewrites the stored log under its signed checkpoint
        c.execute(text(edit), {"zero": b"\x00" * 32, "level8": node_id((8, 0))})
    app = create_app(engine.url.render_as_string(hide_password=False), rate=0)
    with running(app) as base:
        done = subprocess.run(
            [str(go_client), f"{base}/tlog", vkey], capture_output=True, text=True
        )
    app.state.engine.dispose()
    assert done.returncode == 1 and done.stdout.startswith("FAIL"), done.stdout


def test_an_entry_too_long_for_a_bundle_is_refused_whole(engine: Engine) -> None:
    reg, _ = _log(engine, 1, signed_at=())
    with pytest.raises(LogError, match="entries are at most 65,535 bytes"):
        reg.add(Organisation(id="long", name="x" * 70_000))
    assert reg.log.size() == 1
