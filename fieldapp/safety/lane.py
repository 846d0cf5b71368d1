"""Two sending lanes per process: a priority lane for panic and duress, a bulk lane for everything else.

Each delivery is one task on its lane's thread pool, so an endpoint that hangs holds one thread until its timeout
and nothing else. The priority lane has its own threads and its own claim path (see deliveries.claim): no bulk
delivery, however many or slow, can sit in front of a panic. Sweeps hand work to the lanes and move on.
"""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

PRIORITY_THREADS = 32  # threads mostly wait on the network; short timeouts bound each one
BULK_THREADS = 16
BULK_IN_FLIGHT = 512  # claimed but unsent bulk deliveries a process holds at most (see start_by)


class Lanes:
    def __init__(self):
        self.priority = ThreadPoolExecutor(PRIORITY_THREADS, thread_name_prefix="safety-priority")
        self.bulk = ThreadPoolExecutor(BULK_THREADS, thread_name_prefix="safety-bulk")
        self._idle = threading.Condition()
        self._in_flight = {True: 0, False: 0}

    def bulk_room(self) -> int:
        with self._idle:
            return max(0, BULK_IN_FLIGHT - self._in_flight[False])

    def submit(self, priority: bool, task, *args) -> Future:
        with self._idle:
            self._in_flight[priority] += 1
        # Run in a copy of the caller's context: the sender's log lines carry the id of the request or escalator
        # run that claimed the delivery (fieldapp/logs.py).
        future = (self.priority if priority else self.bulk).submit(contextvars.copy_context().run, task, *args)
        future.add_done_callback(lambda _f: self._done(priority))
        return future

    def _done(self, priority: bool) -> None:
        with self._idle:
            self._in_flight[priority] -= 1
            self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued or sending (orderly shutdown, tests); False if time ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: not any(self._in_flight.values()), timeout)


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
