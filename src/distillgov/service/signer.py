"""Checkpoints signed by the service itself: with DISTILLGOV_LOG_KEY naming the log's key file, a
thread signs a new checkpoint every DISTILLGOV_CHECKPOINT_EVERY seconds (default 10) whenever the
log has grown. Several servers may hold the key: the log takes a lock around each signing
(`TransparencyLog.checkpoint`), so one signs at a time and the others find the tree already
signed."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distillgov.errors import DistillgovError
from distillgov.registry import witnessing
from distillgov.registry.checkpoint import verifier_key
from distillgov.registry.log import TransparencyLog, load_key
from distillgov.registry.queries import latest_checkpoint
from distillgov.service.metrics import CHECKPOINTS
from distillgov.storage.db import reading

log = logging.getLogger("distillgov.signer")


EVERY = "DISTILLGOV_CHECKPOINT_EVERY"


def every_from_env(default: float = 10.0) -> float:
    given = os.environ.get(EVERY)
    if not given:
        return default
    try:
        return float(given)
    except ValueError:
        raise DistillgovError(f"{EVERY}, value '{given}': not a number of seconds") from None


AFTER = "DISTILLGOV_CHECKPOINT_AFTER"


def after_from_env(default: int = 0) -> int:
    given = os.environ.get(AFTER)
    if not given:
        return default
    if not given.isdigit():
        raise DistillgovError(f"{AFTER}, value '{given}': a whole number of entries (0: never)")
    return int(given)


class Signer:
    def __init__(
        self, tlog: TransparencyLog, key_file: Path, every: float = 10.0, after: int = 0
    ) -> None:
        try:
            self.key: Ed25519PrivateKey = load_key(key_file)
        except OSError as exc:
            raise DistillgovError(
                f"DISTILLGOV_LOG_KEY, value '{key_file}': {exc.strerror or exc}"
            ) from None
        except (ValueError, DistillgovError) as exc:
            raise DistillgovError(f"DISTILLGOV_LOG_KEY, value '{key_file}': {exc}") from None
        if every <= 0:
            raise DistillgovError(
                f"DISTILLGOV_CHECKPOINT_EVERY, value {every:g}: must be a positive number of "
                "seconds"
            )
        self.log, self.key_file, self.every, self.after = tlog, key_file, every, after
        self._signed_at = 0.0  # monotonic time of the last signing
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpoint-signer", daemon=True)

    def state(self) -> str:
        """'loaded' (the key is the log's), 'waiting' (no log initialised yet), or what is
        wrong."""
        if self.log.verifier is None:  # initialised since this server started?
            with reading(self.log.engine) as c:
                self.log.reload_settings(c)
        if self.log.origin is None or self.log.verifier is None:
            return "waiting: the log is not initialised"
        if verifier_key(self.log.origin, self.key.public_key()) != self.log.verifier:
            return f"wrong key: {self.key_file} is not the key of the log '{self.log.origin}'"
        return "loaded"

    def sign_once(self) -> bool:
        """Sign if the log has grown since the last checkpoint; whether a new one was made."""
        if self.state() != "loaded":
            return False
        last = latest_checkpoint(self.log)
        size = self.log.size()
        if size == 0 or (last is not None and last[0] >= size):
            return False
        made = self.log.checkpoint(self.key) != (last[1] if last else None)
        if made:
            CHECKPOINTS.inc()
            for done in witnessing.submit(self.log):
                if not done.cosigned:
                    log.warning("witness %s did not cosign: %s", done.witness, done.detail)
        return made

    def start(self) -> Signer:
        self._thread.start()
        return self

    def _run(self) -> None:
        # Wakes often enough to notice N appends; signs on the interval or after N of them.
        tick = min(self.every, 0.25) if self.after else self.every
        while not self._stopping.wait(tick):
            try:
                if self._due():
                    self.sign_once()
                    self._signed_at = time.monotonic()
                self.last_error = None
            except Exception as exc:  # the database away, or the log found edited: said, retried
                self.last_error = str(exc)
                log.error("checkpoint not signed: %s", exc)

    def _due(self) -> bool:
        if time.monotonic() - self._signed_at >= self.every:
            return True
        if not self.after:
            return False
        last = latest_checkpoint(self.log)
        return self.log.size() - (last[0] if last else 0) >= self.after

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
