"""Two sending lanes per process: a priority lane for panic and duress, a bulk lane for everything else.

Each delivery is one task on its lane's thread pool, so an endpoint that hangs holds one thread until its timeout
and nothing else. The priority lane has its own threads and its own claim path (see deliveries.claim): no bulk
delivery, however many or slow, can sit in front of a panic. Sweeps hand work to the lanes and move on.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

PRIORITY_THREADS = 32   # threads mostly wait on the network; short timeouts bound each one
BULK_THREADS = 16
BULK_IN_FLIGHT = 512    # claimed but unsent bulk deliveries a process holds at most (see start_by)


class Lanes:
    def __init__(self):
        self.priority = ThreadPoolExecutor(PRIORITY_THREADS, thread_name_prefix="safety-priority")
        self.bulk = ThreadPoolExecutor(BULK_THREADS, thread_name_prefix="safety-bulk")
        self._lock = threading.Lock()
        self._bulk_in_flight = 0

    def bulk_room(self) -> int:
        with self._lock:
            return max(0, BULK_IN_FLIGHT - self._bulk_in_flight)

    def submit(self, priority: bool, task, *args) -> Future:
        if priority:
            return self.priority.submit(task, *args)
        with self._lock:
            self._bulk_in_flight += 1
        future = self.bulk.submit(task, *args)
        future.add_done_callback(self._bulk_done)
        return future

    def _bulk_done(self, _future) -> None:
        with self._lock:
            self._bulk_in_flight -= 1


_lanes: Lanes | None = None
_lanes_pid: int | None = None
_lanes_lock = threading.Lock()


def lanes() -> Lanes:
    """This process's lanes, made on first use (after a fork, the child makes its own: threads do not fork)."""
    global _lanes, _lanes_pid
    with _lanes_lock:
        if _lanes is None or _lanes_pid != os.getpid():
            _lanes, _lanes_pid = Lanes(), os.getpid()
        return _lanes
