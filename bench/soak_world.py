"""The soak's world: a private PostgreSQL schema with fictional teams, the production topology as child processes
(`fieldapp serve` = gunicorn + a supervised escalator, a second escalator, Redis, an SMTP sink), the faults, and
the final counts read back from the database."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("FIELDAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FIELDAPP_SOAK_REDIS_URL", "redis://127.0.0.1:6379/0")
TEAM_SIZE = 10
CHILDREN_PER_WORKER = 3


class World:
    def __init__(self, workdir: Path, devices: int, session_minutes: int, web_workers: int = 0):
        self.tag = f"soak_{uuid.uuid4().hex[:8]}"  # schema, application_name and Redis prefix
        self.workdir, self.devices, self.session_minutes = workdir, devices, session_minutes
        self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        url = sa.engine.make_url(PG_URL).update_query_dict(
            {"options": f"-csearch_path={self.tag}", "application_name": self.tag}
        )
        self.database_url = url.render_as_string(hide_password=False)
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDAPP_")}
        self.env.update(
            {
                "FIELDAPP_DATABASE_URL": self.database_url,
                "FIELDAPP_INSTANCE_PATH": str(workdir / "instance"),
                "FIELDAPP_REDIS_URL": REDIS_URL,
                "FIELDAPP_REDIS_PREFIX": self.tag,
                "FIELDAPP_LOGIN_RATE_LIMIT": "100000 per minute",
                "FIELDAPP_SECRET_KEY": uuid.uuid4().hex,
                "FIELDAPP_ESCALATOR_TICK_SECONDS": "1",
                "FIELDAPP_VAPID_SUBJECT": "mailto:soak@example.invalid",
                "FIELDAPP_SMTP_HOST": "127.0.0.1",
                "FIELDAPP_LOG_LEVEL": "INFO",
                "FIELDAPP_SMTP_SECURITY": "none",  # the local sink speaks plain SMTP (the explicit opt-out)
                "FIELDAPP_WEB_WORKERS": str(web_workers),  # 0: serve's own choice (2 x CPUs + 1 with Redis)
            }
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self.workers: list[str] = []
        self.managers: list[str] = []

    # -- setup ---------------------------------------------------------------------------------------------------
    def create(self, password: str, grace_minutes: int = 1) -> None:
        self.grace_minutes = grace_minutes
        with self.admin.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {self.tag}"))
        self.run_cli("db", "upgrade")
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("FIELDAPP_")})
        from fieldapp import create_app

        app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}})
        with app.app_context():
            self._people(password)
            from fieldapp.extensions import db

            db.session.remove()
            db.engine.dispose()

    def _people(self, password: str) -> None:
        from fieldapp.cases.services import allocate
        from fieldapp.extensions import db
        from fieldapp.models import Child, EscalationPolicy, LegalStatus, Role, Team, User

        hashed = User(username="x", display_name="x", role=Role.WORKER)
        hashed.set_password(password)
        duty = Team(name="Soak duty desk (fictional)")
        db.session.add(duty)
        self.managers.append(self._user(db, User, "soak.duty", Role.MANAGER, duty, hashed.password_hash))
        for number in range(math.ceil(self.devices / TEAM_SIZE)):
            team = Team(name=f"Soak team {number} (fictional)")
            db.session.add_all(
                [
                    team,
                    EscalationPolicy(
                        team=team, duty_team=duty, grace_minutes=self.grace_minutes, ack_minutes=1, reminder_minutes=""
                    ),
                ]
            )
            self.managers.append(
                self._user(db, User, f"soak.manager{number}", Role.MANAGER, team, hashed.password_hash)
            )
            for member in range(min(TEAM_SIZE, self.devices - number * TEAM_SIZE)):
                username = f"soak.worker{number}.{member}"
                worker = db.session.get(
                    User, self._user(db, User, username, Role.WORKER, team, hashed.password_hash, email=False)
                )
                self.workers.append(username)
                for kid in range(CHILDREN_PER_WORKER):
                    child = Child(
                        case_number=f"SOAK-{number}-{member}-{kid}",
                        first_name="Soak",
                        last_name=f"Example{number}x{member}x{kid}",
                        date_of_birth=date(2016, 1, 1),
                        legal_status=LegalStatus.CHILD_IN_NEED,
                        team=team,
                        address=f"{kid} Soak Street, Fiction Town (fictional)",
                    )
                    db.session.add(child)
                    db.session.flush()
                    allocate(child, worker, by=None)
            db.session.commit()
        self.managers[:] = [db.session.get(User, user_id).username for user_id in self.managers]

    @staticmethod
    def _user(db, User, username, role, team, password_hash, email=True):
        user = User(
            username=username,
            display_name=f"{username} (fictional)",
            role=role,
            team=team,
            email=f"{username}@example.invalid" if email else None,
        )
        user.password_hash = password_hash
        db.session.add(user)
        db.session.flush()
        return user.id

    def run_cli(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "fieldapp", *args],
            env=self.env,
            cwd=self.workdir,
            check=True,
            capture_output=True,
            timeout=300,
        )

    # -- processes -----------------------------------------------------------------------------------------------
    def start(self) -> str:
        smtp_log = self.workdir / "smtp.log"
        self.processes["smtp"] = self._spawn(
            "smtp", [sys.executable, str(ROOT / "bench" / "soak_smtp.py"), str(smtp_log)]
        )
        port = self._wait_for(self.workdir / "smtp.out", re.compile(r"port (\d+)"), 60)
        self.env["FIELDAPP_SMTP_PORT"] = port
        self.processes["serve"] = self._spawn("serve", [sys.executable, "-m", "fieldapp", "serve", "--port", "0"])
        web_port = self._wait_for(
            self.workdir / "serve.out", re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)"), 120
        )
        self.processes["escalator-2"] = self._spawn("escalator-2", [sys.executable, "-m", "fieldapp", "escalator"])
        return f"http://127.0.0.1:{web_port}"

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        out = open(self.workdir / f"{name}.out", "wb")  # noqa: SIM115  (lives as long as the process)
        return subprocess.Popen(
            command, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _wait_for(self, path: Path, pattern: re.Pattern, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = pattern.search(path.read_text(errors="replace")) if path.exists() else None
            if found:
                return found.group(1)
            time.sleep(0.2)
        raise RuntimeError(f"{path.name}: nothing matching {pattern.pattern} in {timeout}s")

    def roles(self) -> dict[str, list[psutil.Process]]:
        """Every process of the topology by role (gunicorn workers change pid when one is killed)."""
        serve = psutil.Process(self.processes["serve"].pid)
        children = serve.children()
        gunicorn = [p for p in children if "gunicorn" in " ".join(p.cmdline())]
        return {
            "supervisor (fieldapp serve)": [serve],
            "gunicorn master": gunicorn,
            "gunicorn workers": [w for g in gunicorn for w in g.children()],
            "escalator (supervised)": [p for p in children if p not in gunicorn],
            "escalator 2": [psutil.Process(self.processes["escalator-2"].pid)],
        }

    def memory(self) -> dict[str, list[float]]:
        found = {}
        for role, processes in self.roles().items():
            found[role] = [round(p.memory_info().rss / 2**20, 1) for p in processes if p.is_running()]
        return found

    # -- faults --------------------------------------------------------------------------------------------------
    def kill_gunicorn_worker(self) -> int:
        victim = self.roles()["gunicorn workers"][0]
        victim.send_signal(signal.SIGKILL)
        return victim.pid

    def kill_escalator(self) -> int:
        victim = self.roles()["escalator (supervised)"][0]
        victim.send_signal(signal.SIGKILL)
        return victim.pid

    def terminate_connections(self) -> int:
        """pg_terminate_backend for this soak's connections only (others' tests share the server)."""
        with self.admin.connect() as connection:
            return len(
                connection.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :tag"),
                    {"tag": self.tag},
                ).all()
            )

    # -- results -------------------------------------------------------------------------------------------------
    def query(self, sql: str, **params):
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(sql), params).all()
        finally:
            engine.dispose()

    def smtp_messages(self) -> int:
        path = self.workdir / "smtp.log"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def stop(self) -> None:
        for name in ("escalator-2", "serve", "smtp"):
            process = self.processes.get(name)
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def drop(self) -> None:
        self.terminate_connections()
        with self.admin.connect() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.tag} CASCADE"))
        self.admin.dispose()
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"*{self.tag}*"):
                client.delete(key)
        except Exception:  # noqa: BLE001,S110  (Redis keys expire by themselves within a minute anyway)
            pass
