"""A real `fieldapp serve` (gunicorn + supervised escalator) as a child process, with its JSON log lines."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

FIELDAPP = [sys.executable, "-m", "fieldapp"]
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServeProcess:
    """`fieldapp serve --port 0` in its own instance folder; its stdout and stderr go to `log_path`."""

    def __init__(self, workdir: Path, env: dict, *args: str):
        self.log_path = workdir / "serve.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [*FIELDAPP, "serve", "--port", "0", *args],
            env=env,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.port = int(self.wait_for_line(lambda line: LISTENING.search(line), 60).group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def json_lines(self) -> list[dict]:
        """Every line that is JSON (the CLI's own banner lines before logging starts are plain text)."""
        lines = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def wait_for_line(self, match, timeout: float, after: int = 0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.text().splitlines()[after:]:
                found = match(line)
                if found:
                    return found
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited ({self.process.returncode}):\n{self.text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s; log tail:\n{self.text()[-3000:]}")

    def escalator_pids(self) -> list[int]:
        return [line["child_pid"] for line in self.json_lines() if line.get("msg") == "escalator started"]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return self.process.returncode


def fieldapp_env(instance: Path, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDAPP_")}
    env.update(
        {
            "FIELDAPP_INSTANCE_PATH": str(instance),
            "FIELDAPP_ESCALATOR_TICK_SECONDS": "0.5",
            "FIELDAPP_VAPID_SUBJECT": "mailto:serve-tests@example.invalid",
            **extra,
        }
    )
    return env
