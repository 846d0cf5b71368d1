"""Run the web server and one escalator as child processes; restart the escalator whenever it dies.

The web server (gunicorn) supervises its own workers. This parent only watches the two children: an escalator
that exits for any reason is logged and started again (after a short back-off if it keeps dying); if the web
server itself exits, the escalator is stopped and `serve` exits with the web server's status, for systemd (or the
person at the terminal) to decide what happens next.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time

log = logging.getLogger("fieldapp.supervisor")
POLL_SECONDS = 0.2
STOP_SECONDS = 30
STABLE_SECONDS = 60  # an escalator that ran this long before dying is restarted at once
MAX_BACKOFF_SECONDS = 30


class Supervisor:
    def __init__(self, web_command: list[str], escalator_command: list[str], env: dict):
        self.web_command, self.escalator_command, self.env = web_command, escalator_command, env
        self.web: subprocess.Popen | None = None
        self.escalator: subprocess.Popen | None = None
        self.escalator_started = 0.0
        self.restarts = 0
        self.backoff = 0.0
        self.restart_at = 0.0
        self.stopping = False

    def _start_escalator(self) -> None:
        self.escalator = subprocess.Popen(self.escalator_command, env=self.env)  # noqa: S603  (our own argv)
        self.escalator_started = time.monotonic()
        log.info("escalator started", extra={"child_pid": self.escalator.pid, "restarts": self.restarts})

    def _escalator_died(self, code: int) -> None:
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        ran = time.monotonic() - self.escalator_started
        self.backoff = 0.0 if ran >= STABLE_SECONDS else min(MAX_BACKOFF_SECONDS, max(1.0, self.backoff * 2))
        log.error(
            "escalator died (%s) after %.1f s; restarting in %.0f s",
            how,
            ran,
            self.backoff,
            extra={"child_pid": self.escalator.pid, "returncode": code},
        )
        self.escalator = None
        self.restart_at = time.monotonic() + self.backoff

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._stop)
        self.web = subprocess.Popen(self.web_command, env=self.env)  # noqa: S603  (our own argv)
        log.info("web server started", extra={"child_pid": self.web.pid})
        self._start_escalator()
        status = 0
        while not self.stopping:
            code = self.web.poll()
            if code is not None:
                log.error("web server exited (status %s); stopping", code)
                status = code or 1
                break
            if self.escalator is not None and (code := self.escalator.poll()) is not None:
                self._escalator_died(code)
            if self.escalator is None and time.monotonic() >= self.restart_at:
                self.restarts += 1
                self._start_escalator()
            time.sleep(POLL_SECONDS)
        self.shutdown()
        return status

    def shutdown(self) -> None:
        children = [p for p in (self.escalator, self.web) if p is not None and p.poll() is None]
        for process in children:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("child %s did not stop in %s s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.wait()
        log.info("stopped")
