"""Running the installed ``seedctl`` console script from tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def seedctl(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``seedctl args`` in ``cwd`` with ``env``; never raises on exit codes."""
    return subprocess.run(
        ["seedctl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def target_line(database_url: str, source: str = "from SEEDCTL_DATABASE_URL") -> str:
    """The line every database command prints first on stderr, from the live connection."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        info = conn.info
        where = f"database {info.dbname} on {info.host}:{info.port} as {info.user}"
    return f"target: {where} ({source})\n"
