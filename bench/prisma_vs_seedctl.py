"""Issue 16's benchmark: the spec's own Prisma seed loop against ``seedctl apply``.

    npm ci --prefix bench/prisma                     # once: Prisma 7 and the pg adapter
    python bench/prisma_vs_seedctl.py [--scales 5 50] [--rounds 3] [--database-url URL]
                                      [--out docs/benchmarks/prisma.json] [--markdown]
                                      [--from-json PATH]

For each scale it generates the okr-demo log (``seedctl generate --scale N --as-of
2026-01-15``), then, round after round, loads it with the client's Prisma seed
(``bench/prisma/seed.mjs``: one awaited ``upsert`` per row, an objective with its key
results and initiatives in one ``$transaction``, chunks of 1000) and with ``seedctl
apply``, alternating, each into a fresh database on the same server whose tables
``seedctl schema create`` made. Each loader then runs again on its own database: the
Prisma seed re-upserts every row, seedctl writes nothing. Both are timed by the wall
clock around the whole process (node or Python start included: what a user waits for).
The tables both leave are compared (rows per table and an md5 of them in id order,
seedctl's ledger schema aside). Reports rows/s, the ratio and issue 16's target
(seedctl >= 25x the Prisma seed's rate) per scale, writes ``docs/benchmarks/prisma.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from measure import Measured, executable, rss_method, run_measured
from pgserver import Server, bench_server, server_cpu_s, server_settings
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
PRISMA_DIR = Path(__file__).resolve().with_name("prisma")
SEED_JS = PRISMA_DIR / "seed.mjs"
SETUP_JS = PRISMA_DIR / "setup.mjs"
AS_OF = "2026-01-15"
DB_PREFIX = "prisma_bench_"
TARGET_RATIO = 25.0
INSTALL = "npm ci --prefix bench/prisma"
NODE_PACKAGES = ("prisma", "@prisma/client", "@prisma/adapter-pg", "pg")


def say(message: str) -> None:
    """Progress on stderr, so that `nohup ... > log` shows how far a run got."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def seedctl(*args: str) -> list[str]:
    """argv for this virtualenv's seedctl."""
    return [executable("seedctl"), *args]


# -- preflight: node and the installed packages -------------------------------------------


def missing_node_parts(node: str | None, prisma_dir: Path) -> list[str]:
    """What the Prisma loader lacks on this machine: node, or packages in node_modules."""
    if node is None:
        return ["node (not on PATH; Prisma 7 needs Node.js ^20.19, ^22.12 or >= 24)"]
    modules = prisma_dir / "node_modules"
    return [
        f"{name} (no {modules / name / 'package.json'})"
        for name in NODE_PACKAGES
        if not (modules / name / "package.json").is_file()
    ]


def installed_versions(prisma_dir: Path) -> dict[str, str]:
    """The version of each Node package the loader uses, as installed."""
    versions = {}
    for name in NODE_PACKAGES:
        manifest = prisma_dir / "node_modules" / name / "package.json"
        versions[name] = str(json.loads(manifest.read_text())["version"])
    return versions


def preflight() -> str:
    """node's path once node and the packages are there and the client is generated.

    Raises SystemExit (status 2) with the install command when anything is missing:
    no numbers are made up for a loader that cannot run.
    """
    node = shutil.which("node")
    missing = missing_node_parts(node, PRISMA_DIR)
    if missing or node is None:
        print("error: the Prisma loader cannot run; missing:", file=sys.stderr)
        for part in missing:
            print(f"  - {part}", file=sys.stderr)
        first = "install Node.js (^20.19, ^22.12 or >= 24), then " if node is None else ""
        print(f"{first}install with: {INSTALL}   (from the repository root)", file=sys.stderr)
        raise SystemExit(2)
    say(f"prisma generate (offline): node {SETUP_JS.relative_to(REPO)}")
    done = subprocess.run([node, str(SETUP_JS)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        print(f"error: {SETUP_JS} failed; reinstall with: {INSTALL}", file=sys.stderr)
        raise SystemExit(2)
    return node


# -- databases --------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server: Server, name: str) -> Iterator[str]:
    """A new, empty ``prisma_bench_<name>`` with the scenario's tables; dropped after."""
    database = DB_PREFIX + name
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url = server.url_of(database)
    try:
        run_measured(seedctl("schema", "create", "--database-url", url, "--json"))
        server.checkpoint()
        yield url
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(drop)


def table_fingerprints(url: str) -> dict[str, list[Any]]:
    """Per table of the public schema: [rows, md5 of its rows as text in id order]."""
    out: dict[str, list[Any]] = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        tables = [
            str(r[0])
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        for table in tables:
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), ''))"
                    " FROM public.{} AS t"
                ).format(sql.Identifier(table))
            ).fetchone()
            assert row is not None
            out[table] = [int(row[0]), str(row[1])]
    return out


def fingerprint_differences(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> list[str]:
    """Tables whose rows differ between two fingerprints (or that only one has)."""
    return sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))


# -- the two loaders --------------------------------------------------------------------


@dataclass
class Run:
    """One loader's first load and its rerun on the same database."""

    loader: str
    round: int
    rows: int
    wall_s: float
    own_s: float
    """The loader's own time: the Prisma loop without node start and log reading;
    seedctl's ``elapsed_s``."""
    rerun_wall_s: float
    rerun_own_s: float
    rerun_rows: int
    """Rows the rerun wrote (Prisma re-upserts every row; seedctl none)."""
    peak_rss_mb: float | None
    server_cpu_s: float | None
    detail: dict[str, Any] = field(default_factory=dict)


def _server_cpu(server: Server, before: float | None) -> float | None:
    time.sleep(0.2)  # let the postmaster reap the step's backends
    after = server_cpu_s(server)
    return None if before is None or after is None else round(after - before, 2)


def _json_out(done: Measured) -> dict[str, Any]:
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(done.argv)} failed: {done.error()}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


Twice = tuple[Measured, dict[str, Any], Measured, dict[str, Any], float | None, Any]


def _run_twice(server: Server, name: str, argv_for: Callable[[str], list[str]]) -> Twice:
    """A loader on a fresh database, then again on it: each run and its JSON output, the
    server CPU of the first, and the tables it left."""
    with fresh_database(server, name) as url:
        argv = argv_for(url)
        before = server_cpu_s(server)
        first = run_measured(argv, check=False)
        cpu = _server_cpu(server, before)
        out = _json_out(first)
        rerun = run_measured(argv, check=False)
        again = _json_out(rerun)
        prints = table_fingerprints(url)
    return first, out, rerun, again, cpu, prints


def run_prisma(server: Server, node: str, log: Path, name: str, round_no: int) -> tuple[Run, Any]:
    """The Prisma seed on a fresh database, then again on it; the tables it left."""
    twice = _run_twice(
        server, name, lambda url: [node, str(SEED_JS), "--log", str(log), "--database-url", url]
    )
    first, out, rerun, again, cpu, prints = twice
    keep = ("seconds", "read_s", "connect_s", "statements", "statement_kinds", "transactions")
    return Run(
        loader="prisma",
        round=round_no,
        rows=int(out["rows"]),
        wall_s=first.wall_s,
        own_s=float(out["seconds"]),
        rerun_wall_s=rerun.wall_s,
        rerun_own_s=float(again["seconds"]),
        rerun_rows=int(again["rows"]),
        peak_rss_mb=first.peak_rss_mb,
        server_cpu_s=cpu,
        detail={
            "first": {k: out[k] for k in keep},
            "rerun": {k: again[k] for k in keep},
            "client_cpu_s": first.cpu_s,
        },
    ), prints


def run_seedctl(server: Server, log: Path, name: str, round_no: int) -> tuple[Run, Any]:
    """``seedctl apply`` on a fresh database, then its no-op rerun; the tables it left."""
    twice = _run_twice(
        server,
        name,
        lambda url: seedctl("apply", "--log", str(log), "--database-url", url, "--json"),
    )
    first, out, rerun, again, cpu, prints = twice
    return Run(
        loader="seedctl",
        round=round_no,
        rows=int(out["written"]),
        wall_s=first.wall_s,
        own_s=float(out["elapsed_s"]),
        rerun_wall_s=rerun.wall_s,
        rerun_own_s=float(again["elapsed_s"]),
        rerun_rows=int(again["written"]),
        peak_rss_mb=first.peak_rss_mb,
        server_cpu_s=cpu,
        detail={"client_cpu_s": first.cpu_s},
    ), prints


# -- one scale --------------------------------------------------------------------------


def summarize(rows: int, runs: Sequence[Run]) -> dict[str, Any]:
    """Median rates of each loader over the rounds, the ratio and the verdict."""
    by: dict[str, list[Run]] = {}
    for r in runs:
        by.setdefault(r.loader, []).append(r)
    out: dict[str, Any] = {"rows": rows}
    for loader, mine in by.items():
        wall = statistics.median(r.wall_s for r in mine)
        own = statistics.median(r.own_s for r in mine)
        out[loader] = {
            "runs": len(mine),
            "wall_s": round(wall, 3),
            "wall_s_all": [round(r.wall_s, 3) for r in mine],
            "rows_per_s": round(rows / wall, 1),
            "own_s": round(own, 3),
            "own_rows_per_s": round(rows / own, 1) if own > 0 else None,
            "rerun_wall_s": round(statistics.median(r.rerun_wall_s for r in mine), 3),
            "rerun_own_s": round(statistics.median(r.rerun_own_s for r in mine), 3),
            "rerun_rows": max(r.rerun_rows for r in mine),
        }
    if "prisma" in out and "seedctl" in out:
        ratio = out["seedctl"]["rows_per_s"] / out["prisma"]["rows_per_s"]
        own_ratio = out["prisma"]["own_s"] / out["seedctl"]["own_s"]
        out["ratio"] = round(ratio, 2)
        out["own_ratio"] = round(own_ratio, 2)
        out["verdict"] = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    return out


def run_scale(server: Server, node: str, work: Path, scale: int, rounds: int) -> dict[str, Any]:
    """Generate the log at ``scale`` and run both loaders ``rounds`` times, alternating."""
    log = work / f"okr-demo-{scale}.log"
    say(f"scale {scale}: seedctl generate")
    gen = run_measured(
        seedctl("generate", "--log", str(log), "--scale", str(scale), "--as-of", AS_OF, "--json")
    )
    generated = json.loads(gen.stdout)
    rows = int(generated["total"])
    say(f"  {rows:,} commands")
    runs: list[Run] = []
    prints: dict[str, Any] = {}
    for round_no in range(1, rounds + 1):
        say(f"  round {round_no}/{rounds}: prisma seed")
        run, prints["prisma"] = run_prisma(server, node, log, f"s{scale}_prisma", round_no)
        say(f"    {run.rows:,} rows in {run.wall_s:.1f} s, rerun {run.rerun_wall_s:.1f} s")
        runs.append(run)
        say(f"  round {round_no}/{rounds}: seedctl apply")
        run, prints["seedctl"] = run_seedctl(server, log, f"s{scale}_seedctl", round_no)
        say(f"    {run.rows:,} rows in {run.wall_s:.1f} s, rerun {run.rerun_wall_s:.2f} s")
        runs.append(run)
        if diff := fingerprint_differences(prints["prisma"], prints["seedctl"]):
            raise RuntimeError(f"scale {scale}: the loaders left different rows in {diff}")
    if any(r.rows != rows for r in runs):
        raise RuntimeError(f"scale {scale}: a loader wrote other than {rows} rows")
    summary = summarize(rows, runs)
    summary["scale"] = scale
    summary["log_digest"] = generated["digest"]
    summary["same_rows"] = prints["prisma"] == prints["seedctl"]
    summary["tables"] = prints["seedctl"]
    summary["runs"] = [asdict(r) for r in runs]
    return summary


# -- the machine and the report ---------------------------------------------------------


def _output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    except OSError:
        return "?"
    return done.stdout.strip() if done.returncode == 0 else "?"


def machine_info(server: Server, node: str) -> dict[str, Any]:
    """Where the numbers come from: cores, versions, server settings, commit."""
    settings = server_settings(server)
    versions = installed_versions(PRISMA_DIR)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": _output([node, "--version"]),
        "node packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "seedctl": _output([executable("seedctl"), "--version"]),
        "commit": _output(["git", "rev-parse", "--short", "HEAD"]),
        "postgresql": settings.pop("server_version"),
        "postgresql settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
        "database": "embedded PostgreSQL (temporary)" if server.embedded else "--database-url",
        "peak RSS measured by": rss_method(),
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as the markdown block of docs/benchmarks.md."""
    machine = results["machine"]
    lines = [
        f"Run of {machine['date']}, {machine['database']}, PostgreSQL {machine['postgresql']}, "
        f"node {machine['node']} ({machine['node packages']}), commit {machine['commit']}; "
        f"median of alternating rounds per scale ({_rounds(results)}).",
        "",
        "| scale | rows | Prisma s | Prisma rows/s | seedctl s | seedctl rows/s | ratio "
        "| target 25x | Prisma rerun s | seedctl rerun s | same rows |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for s in results["scales"]:
        p, c = s["prisma"], s["seedctl"]
        lines.append(
            f"| {s['scale']} | {s['rows']:,} | {p['wall_s']:.2f} | {p['rows_per_s']:,.0f} "
            f"| {c['wall_s']:.2f} | {c['rows_per_s']:,.0f} | {s['ratio']:.1f}x "
            f"| **{s['verdict']}** | {p['rerun_wall_s']:.2f} | {c['rerun_wall_s']:.2f} "
            f"| {'yes' if s['same_rows'] else 'NO'} |"
        )
    lines.append("")
    for s in results["scales"]:
        p, c = s["prisma"], s["seedctl"]
        first = next(r for r in s["runs"] if r["loader"] == "prisma")["detail"]["first"]
        lines.append(
            f"- scale {s['scale']}: Prisma walls {p['wall_s_all']} s, seedctl {c['wall_s_all']} s;"
            f" own times (Prisma loop / seedctl elapsed_s) {p['own_s']:.2f} s / "
            f"{c['own_s']:.2f} s = {s['own_ratio']:.1f}x; Prisma sent "
            f"{first['statements']:,} statements ({_kinds(first['statement_kinds'])}), "
            f"rerun wrote {p['rerun_rows']:,} rows vs seedctl {c['rerun_rows']}"
        )
    return "\n".join(lines)


def _rounds(results: dict[str, Any]) -> str:
    return ", ".join(f"scale {s['scale']}: {s['prisma']['runs']}" for s in results["scales"])


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The spec's Prisma seed loop against seedctl apply, on the same rows."
    )
    parser.add_argument(
        "--scales", type=int, nargs="+", default=[5, 50], help="okr-demo scales (default 5 50)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        nargs="+",
        default=[3],
        help="alternating rounds per scale: one number for all scales or one per scale (default 3)",
    )
    parser.add_argument(
        "--database-url",
        help="a server to use (it creates and drops prisma_bench_* databases); "
        "default: a temporary embedded PostgreSQL",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "docs" / "benchmarks" / "prisma.json",
        help="where the results go (default docs/benchmarks/prisma.json)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument(
        "--from-json", type=Path, metavar="PATH", help="measure nothing: render a saved result"
    )
    args = parser.parse_args(argv)
    if len(args.rounds) == 1:
        args.rounds = args.rounds * len(args.scales)
    if len(args.rounds) != len(args.scales):
        parser.error("--rounds takes one number, or one per scale")
    if any(n < 1 for n in [*args.rounds, *args.scales]):
        parser.error("--rounds and every scale must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or render a saved one), write the JSON, print the report."""
    args = parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        node = preflight()
        started = time.perf_counter()
        with (
            tempfile.TemporaryDirectory(prefix="prisma-bench-") as work,
            bench_server(args.database_url) as server,
        ):
            machine = machine_info(server, node)
            say(f"PostgreSQL {machine['postgresql']} ({machine['database']})")
            scales = [
                run_scale(server, node, Path(work), s, n)
                for s, n in zip(args.scales, args.rounds, strict=True)
            ]
        results = {
            "params": {
                "scales": args.scales,
                "rounds": args.rounds,
                "as_of": AS_OF,
                "target_ratio": TARGET_RATIO,
                "run_s": round(time.perf_counter() - started, 1),
            },
            "machine": machine,
            "scales": scales,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        say(f"wrote {args.out}")
    for s in results["scales"]:
        print(
            f"scale {s['scale']}: {s['rows']:,} rows; Prisma {s['prisma']['rows_per_s']:,.0f} "
            f"rows/s, seedctl {s['seedctl']['rows_per_s']:,.0f} rows/s: {s['ratio']:.1f}x "
            f"(target {TARGET_RATIO:.0f}x) {s['verdict']}; reruns "
            f"{s['prisma']['rerun_wall_s']:.2f} s vs {s['seedctl']['rerun_wall_s']:.2f} s"
        )
    if args.markdown:
        print()
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
