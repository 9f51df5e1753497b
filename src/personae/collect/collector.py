"""The collector: everything the server holds between requests, without HTTP.

It owns the write-ahead log, the dedupe window, the keys, the tracking plans and the
flusher thread that turns sealed WAL segments into Parquet files.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from personae.collect import stored
from personae.collect.dedupe import DedupeWindow
from personae.collect.errors import ApiError, CollectError
from personae.collect.flush import FlushResult, flush_segments, last_flushed_seq, warm_up
from personae.collect.keys import KeyStore
from personae.collect.messages import Limits, now_us
from personae.collect.paths import CollectPaths
from personae.collect.plans import PlanChecker
from personae.collect.ratelimit import TokenBuckets
from personae.collect.signing import load_secret
from personae.collect.wal import WriteAheadLog, list_segments
from personae.config.collect import CollectConfig
from personae.project import STATE_DIR
from personae.protect.encryption import Keyring
from personae.protect.suppression import SuppressionWatch, message_identifiers

log = logging.getLogger(__name__)


def claim_id(wal_dir: Path, collector_id: str) -> int:
    """Lock ``collector_id`` in ``wal_dir`` for this process (the descriptor to close to
    release it); a :class:`CollectError` when another process holds it."""
    fd = os.open(wal_dir / f"{collector_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CollectError(
            f"collector {collector_id!r} is already running on this project; "
            "give each collector its own id: personae serve --collector-id c1"
        ) from None
    return fd


class Collector:
    def __init__(
        self,
        project_root: Path,
        config: CollectConfig,
        collector_id: str | None = None,
        keys: Keyring | None = None,
    ) -> None:
        self.config = config
        #: protect.encryption's keys: the WAL and the Parquet files are sealed with them
        self.encryption = keys
        self.collector_id = collector_id or config.collector_id
        if not self.collector_id.isalnum():
            raise CollectError(f"a collector id is letters and digits, got {self.collector_id!r}")
        self.paths = CollectPaths.of(project_root, config.events_dir)
        self.paths.ensure()
        self.keys = KeyStore(self.paths.keys)
        self.plans = PlanChecker(config.tracking_plans)
        self.limits = Limits(config.max_message_bytes)
        self.buckets = TokenBuckets(config.rate_limit) if config.rate_limit else None
        self.dedupe = DedupeWindow(config.dedupe_hours)
        self.wal = WriteAheadLog(
            self.paths.wal,
            self.collector_id,
            config.segment_bytes,
            first_seq=last_flushed_seq(self.paths.events, self.collector_id) + 1,
            keys=keys,
        )
        self.secret = load_secret(self.paths.secret)
        # privacy: events of erased persons are dropped (still answered 200)
        self.suppression = SuppressionWatch(Path(project_root) / STATE_DIR)
        self.suppressed = 0
        self.flushed = FlushResult()
        self.accepted = 0
        self.duplicates = 0
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="flusher", daemon=True)
        self._last_prune = 0.0
        self.started = False
        self._id_lock: int | None = None

    # --- lifecycle

    def start(self) -> None:
        """Recover what a previous run left, rebuild the dedupe window, start writing."""
        self.claim()
        warm_up()
        recovered = flush_segments(
            list_segments(self.paths.wal, self.collector_id), self.events, self.encryption
        )
        if recovered.segments:
            log.info(
                "recovered %d rows from %d WAL segments (%d torn bytes skipped)",
                recovered.rows,
                recovered.segments,
                recovered.torn_bytes,
            )
        self.flushed.add(recovered)
        self.dedupe.rebuild(self.paths.wal, self.events, now_us(), self.encryption)
        self.wal.start()
        self._flusher.start()
        self.started = True

    def close(self) -> None:
        """Write what was acknowledged to Parquet and stop (SIGTERM lands here)."""
        if not self.started:
            return
        self._stop.set()
        self._flusher.join()
        self.wal.close()
        with self._flush_lock:
            self.flushed.add(
                flush_segments(self.wal.sealed_segments(), self.events, self.encryption)
            )
        self.started = False
        self._release_id()

    def claim(self) -> None:
        """Hold the collector id (idempotent): two live collectors with one id would write
        the same segments, so the second one raises a :class:`CollectError`. ``serve``
        claims it before it announces anything."""
        if self._id_lock is None:
            self._id_lock = claim_id(self.paths.wal, self.collector_id)

    def _release_id(self) -> None:
        if self._id_lock is not None:
            os.close(self._id_lock)
            self._id_lock = None

    @property
    def events(self) -> Path:
        return self.paths.events

    # --- requests

    def rate_check(self, key_id: str, count: int) -> None:
        if self.buckets is None:
            return
        wait = self.buckets.take(key_id, count)
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                f"this write key sent more than {self.buckets.rate:g} messages/s; "
                f"retry in {wait:g}s",
                headers={"Retry-After": str(int(wait))},
            )

    def _prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune > 60:
            self.dedupe.prune(now_us())
            self._last_prune = now

    async def store_columns(self, columns: dict[str, list[Any]]) -> None:
        """:meth:`store` for rows given by column (the fast lane's batches)."""
        if self.suppression.current():
            await self.store(stored.columns_to_rows(columns))
            return
        self._prune()
        add = self.dedupe.add
        ids = zip(columns["source"], columns["message_id"], strict=True)
        keep = [add(k, at) for k, at in zip(ids, columns["received_at"], strict=True)]
        total = len(keep)
        if not all(keep):
            columns = {
                name: [v for v, kept in zip(values, keep, strict=True) if kept]
                for name, values in columns.items()
            }
        count = len(columns["message_id"])
        self.duplicates += total - count
        if not count:
            return
        await self._append(stored.encode_columns(columns), columns["source"], columns["message_id"])
        self.accepted += count

    async def _append(self, record: bytes, sources: list[str], message_ids: list[str]) -> None:
        try:
            await self.wal.append([record])
        except CollectError as exc:
            for key in zip(sources, message_ids, strict=True):
                self.dedupe.forget(key)
            raise ApiError(503, "storage_unavailable", str(exc)) from exc

    async def store(self, rows: list[dict[str, Any]]) -> None:
        """Make rows durable; duplicates inside the window are dropped here."""
        self._prune()
        # privacy: an erased person's events are dropped here, still answered 200
        suppression = self.suppression.current()
        if suppression:
            kept = [r for r in rows if not suppression.any_match(message_identifiers(r))]
            self.suppressed += len(rows) - len(kept)
            rows = kept
        fresh = [
            r for r in rows if self.dedupe.add((r["source"], r["message_id"]), r["received_at"])
        ]
        self.duplicates += len(rows) - len(fresh)
        if not fresh:
            return
        await self._append(
            stored.encode_rows(fresh),
            [r["source"] for r in fresh],
            [r["message_id"] for r in fresh],
        )
        self.accepted += len(fresh)

    # --- flushing

    def flush(self) -> FlushResult:
        """Seal the open segment and write every sealed one to Parquet."""
        with self._flush_lock:
            self.wal.seal()
            result = flush_segments(self.wal.sealed_segments(), self.events, self.encryption)
            self.flushed.add(result)
            return result

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.config.flush_seconds):
            try:
                self.flush()
            except Exception:  # keep serving; the segment stays and is retried
                log.exception("flushing the write-ahead log failed")

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.started else "stopped",
            "collector_id": self.collector_id,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "fsyncs": self.wal.fsyncs,
            "flushed_rows": self.flushed.rows,
            "pending_segments": len(list_segments(self.paths.wal, self.collector_id)),
            "dedupe_ids": len(self.dedupe),
        }
