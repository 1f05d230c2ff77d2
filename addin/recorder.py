"""Writes usage records on a background thread, so a database commit never delays an answer.

The runner hands each record to :class:`UsageWriter` (a plain callable); a daemon thread
writes whatever has queued up in one transaction. ``flush`` waits until everything queued so
far is written (tests, and the admin reading fresh figures); ``close`` drains the queue at
exit. A failed write is logged with the number of records lost, never raised into a request.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable, Sequence

from .models.usage import UsageRecord

log = logging.getLogger("addin.usage")
_STOP = object()


class UsageWriter:
    def __init__(self, write_many: Callable[[Sequence[UsageRecord]], None],
                 max_batch: int = 500) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def __call__(self, record: UsageRecord) -> None:
        self._queue.put(record)

    def flush(self) -> None:
        """Block until every record queued so far has been written (or its write failed)."""
        self._queue.join()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[UsageRecord] = []
            stop = item is _STOP
            if not stop:
                batch.append(item)  # type: ignore[arg-type]
            while not stop and len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                else:
                    batch.append(more)  # type: ignore[arg-type]
            try:
                if batch:
                    self._write_many(batch)
            except Exception as exc:  # the database is down: lose records, not requests
                log.error("could not write %d usage records: %s", len(batch),
                          type(exc).__name__)
            finally:
                for _ in range(len(batch) + (1 if stop else 0)):
                    self._queue.task_done()
            if stop:
                return
