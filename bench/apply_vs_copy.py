"""Issue 6's benchmark: seedctl apply against raw binary COPY and per-row upserts, one run.

    python bench/apply_vs_copy.py [--scale N] [--database-url URL] [--per-row-sample N]
                                  [--revert-timeout S] [--out docs/benchmarks] [--markdown]
                                  [--update-doc docs/benchmarks.md] [--from-json PATH]

Generates the okr-demo log once, then loads the very same rows three ways, each into
a fresh database with the demo schema and all its constraints: raw binary COPY
(the physical baseline), ``seedctl apply`` (then its no-op rerun and ``seedctl
revert``), and one ``INSERT ... ON CONFLICT`` round trip per row on a sample.
Prints a table of rows/s as ratios to COPY and PASS/FAIL per target of the issue,
writes ``<out>/latest.json`` and ``<out>/loaders.png``. docs/benchmarks.md says
what each loader does exactly and how to read the numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from measure import executable, rss_method, run_measured
from pgserver import Server, bench_server, ledger_rows, server_cpu_s, server_settings
from report import (
    Results,
    Step,
    draw_chart,
    markdown,
    read_json,
    text_report,
    update_doc,
    write_json,
)

REPO = Path(__file__).resolve().parent.parent
LOADERS = Path(__file__).resolve().with_name("loaders.py")
AS_OF = "2026-01-15"
DEFAULT_SCALE = 510  # about 1,003,000 commands: the "a million rows"


def say(message: str) -> None:
    """Progress on stderr, so that `nohup ... > log` shows how far a run got."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def seedctl(*args: str) -> list[str]:
    """argv for this virtualenv's seedctl, events as JSON lines on stderr."""
    return [executable("seedctl"), "--log-format", "json", "--log-level", "info", *args]


def with_server_cpu(server: Server, step: Callable[[], Step]) -> Step:
    """Run one step and add the CPU seconds the server spent meanwhile (if it can tell)."""
    before = server_cpu_s(server)
    done = step()
    time.sleep(0.2)  # let the postmaster reap the step's backends, whose time it then holds
    after = server_cpu_s(server)
    cpu = None if before is None or after is None else after - before
    return dataclasses.replace(done, server_cpu_s=cpu)


def run_generate(log: Path, scale: int) -> Step:
    """`seedctl generate` into a new log: wall time, own elapsed, peak RSS."""
    done = run_measured(
        seedctl("generate", "--log", str(log), "--scale", str(scale), "--as-of", AS_OF, "--json")
    )
    out = json.loads(done.stdout)
    return Step(
        rows=int(out["total"]),
        wall_s=done.wall_s,
        own_s=float(out["elapsed_s"]),
        peak_rss_mb=done.peak_rss_mb,
        client_cpu_s=done.cpu_s,
        detail={"log_bytes": log.stat().st_size, "digest": out["digest"]},
    )


def run_copy(server: Server, log: Path) -> Step:
    """The physical baseline: binary COPY of every row, table by table, in a fresh database."""
    url = server.fresh_database("copy")
    server.checkpoint()
    try:
        return with_server_cpu(server, lambda: _copy_step(log, url))
    finally:
        server.drop_database("copy")


def _copy_step(log: Path, url: str) -> Step:
    done = run_measured(
        [sys.executable, str(LOADERS), "copy", "--log", str(log), "--database-url", url]
    )
    out = json.loads(done.stdout)
    return Step(
        rows=int(out["rows"]),
        wall_s=done.wall_s,
        own_s=float(out["copy_s"]),
        peak_rss_mb=done.peak_rss_mb,
        client_cpu_s=done.cpu_s,
        detail={"read_s": out["read_s"], "tables": out["tables"]},
    )


def _timeline(stderr: str, started_at: float) -> dict[str, float]:
    """Seconds from process start to each structlog event seedctl logged at info level."""
    events: dict[str, float] = {}
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
            stamp = dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        events.setdefault(str(event.get("event")), round(stamp.timestamp() - started_at, 2))
    return events


def _seedctl_step(
    argv: list[str], rows_of: Callable[[dict[str, Any]], int], timeout_s: float | None = None
) -> Step:
    """Run one seedctl command with --json; rows from its output, timeline from its events.

    A failure does not stop the benchmark: the step comes back with ``error`` set
    and no rows (the caller may count what it did before failing).
    """
    started_at = time.time()
    done = run_measured(argv, check=False, timeout_s=timeout_s)
    timeline = _timeline(done.stderr, started_at)
    if done.returncode != 0 or done.timed_out:
        error = done.error()
        if done.timed_out:
            error = f"stopped at the {timeout_s:.0f} s time limit (--revert-timeout)"
        say(f"  FAILED after {done.wall_s:.1f} s: {error}")
        return Step(
            rows=0,
            wall_s=done.wall_s,
            own_s=done.wall_s,
            peak_rss_mb=done.peak_rss_mb,
            detail={
                "timeline": timeline,
                "timed_out": done.timed_out,
                "stderr_tail": done.stderr.splitlines()[-40:],
            },
            client_cpu_s=done.cpu_s,
            error=error,
        )
    out = json.loads(done.stdout)
    return Step(
        rows=rows_of(out),
        wall_s=done.wall_s,
        own_s=float(out["elapsed_s"]),
        peak_rss_mb=done.peak_rss_mb,
        client_cpu_s=done.cpu_s,
        detail={"timeline": timeline, "result": _brief(out)},
    )


def _brief(out: dict[str, Any]) -> dict[str, Any]:
    """The parts of seedctl's --json worth keeping in latest.json."""
    keep = (
        "run_id",
        "written",
        "pending",
        "unchanged_since_run",
        "deleted",
        "restored",
        "reverted_runs",
    )
    return {k: out[k] for k in keep if k in out}


def run_seedctl(
    server: Server, log: Path, revert_timeout_s: float | None
) -> tuple[Step, Step, Step]:
    """`seedctl apply --create-schema` on a fresh database, the same again, then revert.

    The revert is stopped after ``revert_timeout_s``; what it undid by then is counted
    from the ledger rows left, which gives its rate so far.
    """
    url = server.fresh_database("seedctl")
    server.checkpoint()
    db = ["--database-url", url]
    try:
        apply_argv = seedctl("apply", "--log", str(log), "--create-schema", *db, "--json")
        apply = with_server_cpu(
            server, lambda: _seedctl_step(apply_argv, lambda out: int(out["written"]))
        )
        if apply.error:
            raise RuntimeError(f"seedctl apply failed, nothing to compare: {apply.error}")
        say(f"  first apply: {apply.rows:,} rows in {apply.wall_s:.1f} s")
        rerun = with_server_cpu(
            server, lambda: _seedctl_step(apply_argv, lambda out: int(out["written"]))
        )
        say(f"  no-op rerun: {rerun.wall_s:.2f} s, {rerun.rows} rows written")
        server.checkpoint()
        revert = with_server_cpu(
            server,
            lambda: _seedctl_step(
                seedctl("revert", "--log", str(log), *db, "--json"),
                lambda out: sum(out["deleted"].values()) + sum(out["restored"].values()),
                revert_timeout_s,
            ),
        )
        if revert.error:
            # What it undid before failing still gives a rate (a partial one).
            revert = dataclasses.replace(revert, rows=apply.rows - ledger_rows(url))
        say(f"  revert: {revert.rows:,} rows in {revert.wall_s:.1f} s")
    finally:
        server.drop_database("seedctl")
    return apply, rerun, revert


def run_per_row(server: Server, log: Path, sample: int) -> Step:
    """What users write today: one autocommitted upsert per row, on a sample."""
    url = server.fresh_database("per_row")
    server.checkpoint()
    try:
        return with_server_cpu(server, lambda: _per_row_step(log, url, sample))
    finally:
        server.drop_database("per_row")


def _per_row_step(log: Path, url: str, sample: int) -> Step:
    argv = [sys.executable, str(LOADERS), "per-row", "--log", str(log), "--database-url", url]
    done = run_measured([*argv, "--sample", str(sample)])
    out = json.loads(done.stdout)
    return Step(
        rows=int(out["rows"]),
        wall_s=done.wall_s,
        own_s=float(out["seconds"]),
        peak_rss_mb=done.peak_rss_mb,
        client_cpu_s=done.cpu_s,
        detail={"tables": out["tables"], "log_rows": out["log_rows"]},
    )


def _command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    except OSError:
        return "?"
    return done.stdout.strip() if done.returncode == 0 else "?"


def _memory() -> str:
    free = _command_output(["free", "-h"]).splitlines()
    mem = next((line.split() for line in free if line.startswith("Mem:")), None)
    return f"{mem[1]} total, {mem[6]} available" if mem and len(mem) > 6 else "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def code_fingerprint() -> str:
    """The committed trees of engine/, ledger/ and cli/ plus a digest of their uncommitted
    changes: equal before and after a run means every step of the run ran the same code."""
    trees = _command_output(["git", "rev-parse", "HEAD:engine", "HEAD:ledger", "HEAD:cli"])
    diff = _command_output(["git", "diff", "HEAD", "--", "engine", "ledger", "cli"])
    return f"{trees}:{hashlib.sha256(diff.encode()).hexdigest()[:12]}"


def machine_info(server: Server) -> dict[str, Any]:
    """Where the numbers come from: cores, memory, versions, server settings, commit."""
    settings = server_settings(server)
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"])
    dirty = _command_output(["git", "status", "--porcelain", "--", "engine", "ledger", "cli"])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory (free -h)": _memory(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "seedctl": _command_output([executable("seedctl"), "--version"]),
        "commit": commit + (" + uncommitted changes in engine/ledger/cli" if dirty else ""),
        "postgresql": settings.pop("server_version"),
        "postgresql settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
        "peak RSS measured by": rss_method(),
    }


def run(args: argparse.Namespace) -> Results:
    """Every step, in one run, on one server, on one log."""
    with (
        tempfile.TemporaryDirectory(prefix="seedctl-bench-") as work,
        bench_server(args.database_url) as server,
    ):
        log = Path(work, "okr-demo.log")
        machine = machine_info(server)
        code_before = code_fingerprint()
        say(f"PostgreSQL {machine['postgresql']} ({'embedded' if server.embedded else 'server'})")
        say(f"1/4 seedctl generate --scale {args.scale}")
        generate = run_generate(log, args.scale)
        say(f"  {generate.rows:,} commands in {generate.wall_s:.1f} s")
        say("2/4 raw binary COPY")
        copy = run_copy(server, log)
        say(f"  {copy.rows:,} rows: COPY {copy.own_s:.1f} s, reading {copy.detail['read_s']:.1f} s")
        say("3/4 seedctl apply, rerun, revert")
        apply, rerun, revert = run_seedctl(server, log, args.revert_timeout or None)
        say(f"4/4 per-row upserts, sample of {args.per_row_sample:,}")
        per_row = run_per_row(server, log, args.per_row_sample)
        say(f"  {per_row.rows:,} rows in {per_row.own_s:.1f} s")
    if code_fingerprint() != code_before:
        machine["commit"] += " (WARNING: engine/ledger/cli changed during the run)"
        say("WARNING: engine/, ledger/ or cli/ changed during the run; steps ran different code")
    params = {
        "scale": args.scale,
        "as_of": AS_OF,
        "per_row_sample": args.per_row_sample,
        "revert_timeout_s": args.revert_timeout,
        "database": "embedded PostgreSQL (temporary)" if server.embedded else "--database-url",
    }
    return Results(params, machine, generate, copy, apply, rerun, revert, per_row)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="seedctl apply vs raw binary COPY vs per-row upserts, on the same rows."
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=DEFAULT_SCALE,
        help=f"okr-demo scale (default {DEFAULT_SCALE}: about a million rows)",
    )
    parser.add_argument(
        "--database-url",
        help="a server to use (it creates and drops seedctl_bench_* databases); "
        "default: a temporary embedded PostgreSQL",
    )
    parser.add_argument(
        "--per-row-sample",
        type=int,
        default=20_000,
        help="rows the per-row loader upserts (default 20000)",
    )
    parser.add_argument(
        "--revert-timeout",
        type=float,
        default=300,
        metavar="SECONDS",
        help="stop seedctl revert after this long and report its rate so far "
        "(default 300; 0: no limit)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "docs" / "benchmarks",
        help="folder for latest.json and loaders.png (default docs/benchmarks)",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="PATH",
        help="measure nothing: re-render the report, chart and doc from a saved latest.json",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="also print the results as markdown (for docs/benchmarks.md)",
    )
    parser.add_argument(
        "--update-doc",
        type=Path,
        metavar="PATH",
        help="replace the results block between the bench markers in PATH "
        "(e.g. docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    if args.scale < 1 or args.per_row_sample < 1 or args.revert_timeout < 0:
        parser.error("--scale and --per-row-sample must be at least 1, --revert-timeout >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the report, write JSON, chart and (optionally) the doc."""
    args = parse_args(argv)
    if args.from_json:
        results = read_json(args.from_json)
    else:
        started = time.perf_counter()
        results = run(args)
        results.params["run_s"] = round(time.perf_counter() - started, 1)
        write_json(args.out / "latest.json", results)
    print(text_report(results))
    draw_chart(args.out / "loaders.png", results)
    if args.markdown:
        print("\n" + markdown(results))
    if args.update_doc:
        update_doc(args.update_doc, results)
    if not args.from_json:
        say(
            f"wrote {args.out / 'latest.json'} and {args.out / 'loaders.png'}; "
            f"whole run {results.params['run_s']:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
