"""Issue 14's benchmark: what a generation costs to apply, against the first apply, one run.

    python bench/generations.py [--scale N] [--database-url URL] [--repeat K]

Generates an okr-demo log and applies it to a fresh database (the baseline, the first
apply), then appends and applies the generations a user makes: the same params again
(nothing to do: the no-op rerun), another ``as_of`` (check-ins move), the first
``as_of`` again (they move back), half the scale (rows removed, with the dependents
and drift checks) and the full scale again (rows made again); then ``revert --runs 1``
of the removal's re-adding and of the removal itself. Every step is timed in this
process (no interpreter start-up) and printed as its share of the first apply, so the
numbers compare steps measured seconds apart on the same server. ``--repeat`` runs the
whole sequence K times, each into a fresh database, and reports the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pgserver import Server, bench_server  # noqa: E402
from seedctl.engine.apply import apply_log  # noqa: E402
from seedctl.engine.generation import generate_log  # noqa: E402
from seedctl.engine.revert import revert  # noqa: E402

AS_OF, LATER = dt.date(2026, 1, 15), dt.date(2026, 2, 15)


def steps(scale: int) -> list[tuple[str, dt.date, int]]:
    """(name, as_of, scale) of each generation after the first."""
    half = max(1, scale // 2)
    return [
        ("same params again (no-op rerun)", AS_OF, scale),
        ("another as_of (check-ins move)", LATER, scale),
        ("the first as_of again (back)", AS_OF, scale),
        (f"scale {scale} -> {half} (rows removed)", AS_OF, half),
        (f"scale {half} -> {scale} (rows made again)", AS_OF, scale),
    ]


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def one_run(server: Server, work: Path, scale: int, index: int) -> dict[str, tuple[float, int]]:
    """Seconds and rows written per step, for one fresh database."""
    url = server.fresh_database(f"generations_{index}")
    log = work / f"okr-{index}.log"
    generate_log("okr-demo", log, as_of=AS_OF, scale=scale)
    seconds, first = timed(lambda: apply_log(log, database_url=url, create_schema=True))
    out = {"first apply": (seconds, first.written)}  # type: ignore[attr-defined]
    for name, as_of, step_scale in steps(scale):
        generate_log("okr-demo", log, as_of=as_of, scale=step_scale)
        seconds, result = timed(lambda: apply_log(log, database_url=url))
        out[name] = (seconds, result.written)  # type: ignore[attr-defined]
    for name in ("revert --runs 1 (the re-adding)", "revert --runs 1 (the removal)"):
        seconds, reverted = timed(lambda: revert(database_url=url, log_path=log, runs=1))
        rows = sum(reverted.deleted.values()) + sum(reverted.restored.values())  # type: ignore[attr-defined]
        out[name] = (seconds, rows)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=int, default=50, help="okr-demo scale (default 50)")
    parser.add_argument("--database-url", help="a server to use instead of an embedded one")
    parser.add_argument("--repeat", type=int, default=3, help="sequences to run (median)")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    runs = []
    with tempfile.TemporaryDirectory() as work, bench_server(args.database_url) as server:
        for index in range(args.repeat):
            runs.append(one_run(server, Path(work), args.scale, index))
            print(f"run {index + 1} of {args.repeat} done", file=sys.stderr, flush=True)
    first = statistics.median(r["first apply"][0] for r in runs)
    print(f"okr-demo scale {args.scale}, median of {args.repeat} runs, each on a fresh database\n")
    print(f"{'step':<42} {'rows written':>12} {'seconds':>8} {'vs first apply':>15}")
    for name in runs[0]:
        seconds = statistics.median(r[name][0] for r in runs)
        rows = runs[0][name][1]
        print(f"{name:<42} {rows:>12,} {seconds:>8.2f} {seconds / first:>14.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
