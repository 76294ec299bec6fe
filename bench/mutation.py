"""Mutation score of the core modules, each measured with its own tests (mutmut 3).

Why a runner: the repository keeps ``ledger/``, ``engine/`` and ``cli/`` at the top and
setuptools maps them onto ``seedctl.*``; mutmut 3 copies the code it mutates into
``mutants/`` and expects the tests to import it from there, under the module name the
file's path spells. So this script lays out a throw-away stage the way the wheel
installs it (``src/seedctl/ledger/...``), with the tests and docs beside it, and runs
mutmut there, one target module at a time, with one worker. Nothing in the repository
is written. Needs ``pip install mutmut==3.8.1`` and, for ``ledger/store.py``, a server
in ``SEEDCTL_TEST_DATABASE_URL`` (its tests write a real PostgreSQL).

    python bench/mutation.py                      # every target
    python bench/mutation.py ledger/logfile.py --sample 4   # every 4th mutant

Exit status 1 when a target scores below ``--min-score`` (90 by default). The
survivors are printed with their diffs; the ones that change no behaviour are listed,
with a reason each, in docs/mutation-testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TARGETS: dict[str, tuple[str, ...]] = {
    "ledger/commands.py": ("tests/test_commands.py",),
    "ledger/ids.py": ("tests/test_ids.py",),
    "ledger/logfile.py": ("tests/test_logfile.py",),
    "ledger/store.py": ("tests/test_ledger_store.py",),
    "ledger/errors.py": ("tests/test_errors.py",),
    "ledger/lazy.py": ("tests/test_lazy.py",),
    "engine/pending/planner.py": ("tests/test_planner.py",),
    "engine/scenarios/keyed_random.py": ("tests/test_keyed_random.py",),
}
"""Each core module and its own test files."""

NEEDS_DATABASE = {"ledger/store.py"}
KILLED = {"killed", "timeout", "caught by type check"}
# mutmut's own table (mutmut.stats.status_by_exit_code), for the codes it writes.
STATUS = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
}
PACKAGES = {"ledger": "ledger", "engine": "engine", "cli": "cli"}


def stage(target: str, tests: tuple[str, ...], where: Path) -> Path:
    """Lay out ``where`` as the installed package plus tests and docs; return it."""
    for folder in PACKAGES:
        shutil.copytree(
            REPO / folder,
            where / "src" / "seedctl" / folder,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    # Tests that read the source or docs by path find them where the repository has them.
    for folder in ("tests", "docs", *PACKAGES):
        shutil.copytree(REPO / folder, where / folder, ignore=shutil.ignore_patterns("__pycache__"))
    source = f"src/seedctl/{target}"
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["src"]',
            f"only_mutate = [{json.dumps(source)}]",
            f"pytest_add_cli_args_test_selection = {json.dumps(list(tests))}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]',
            f"also_copy = {json.dumps(['docs', *PACKAGES])}",
            "use_git_change_detection = false",
            "",
        ]
    )
    (where / "pyproject.toml").write_text(pyproject + config, encoding="utf-8")
    return where / "mutants" / (source + ".meta")


def mutmut(where: Path, *names: str, quiet: bool = False) -> None:
    """Run ``mutmut run`` in the stage with one worker; hypothesis derandomized."""
    env = {**os.environ, "CI": "1"}
    mutmut_bin = Path(sys.executable).with_name("mutmut")
    subprocess.run(
        [str(mutmut_bin), "run", "--max-children", "1", *names],
        cwd=where,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if quiet else None,
    )


def show(where: Path, name: str) -> str:
    mutmut_bin = Path(sys.executable).with_name("mutmut")
    done = subprocess.run(
        [str(mutmut_bin), "show", name], cwd=where, capture_output=True, text=True, check=False
    )
    return done.stdout


def measure(target: str, sample: int, keep: Path | None) -> float:
    """Mutate ``target``, run its tests against each mutant, print and return the score."""
    tests = TARGETS[target]
    where = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="seedctl-mutation-"))
    if keep and where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True, exist_ok=True)
    meta = stage(target, tests, where)
    try:
        if sample > 1:
            # Generate the mutants and the coverage stats without running any mutant,
            # then run every ``sample``-th one by name (sorted, so the sample is fixed).
            # mutmut complains that the made-up name matches nothing, after generating.
            mutmut(where, "seedctl.no_such_module.x_none__mutmut_1", quiet=True)
            names = sorted(json.loads(meta.read_text())["exit_code_by_key"])
            mutmut(where, *names[::sample])
        else:
            mutmut(where)
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        status = {
            name: STATUS.get(code, "suspicious") for name, code in codes.items() if code is not None
        }
        counts = Counter(status.values())
        run = len(status)
        killed = sum(counts[s] for s in KILLED)
        score = 100.0 * killed / run if run else 0.0
        print(
            f"{target}: {run} of {len(codes)} mutants run, {killed} killed, "
            f"score {score:.1f} %  ({dict(sorted(counts.items()))})"
        )
        for name, state in sorted(status.items()):
            if state not in KILLED:
                print(f"  {state}: {show(where, name).strip()}\n")
        return score
    finally:
        if not keep:
            shutil.rmtree(where, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "targets",
        nargs="*",
        default=sorted(TARGETS),
        choices=sorted(TARGETS),
        metavar="TARGET",
        help="modules to mutate (default: all)",
    )
    parser.add_argument("--sample", type=int, default=1, help="run every N-th mutant only")
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--keep", type=Path, help="stage here and keep it (for mutmut browse)")
    args = parser.parse_args()
    if NEEDS_DATABASE & set(args.targets) and not os.environ.get("SEEDCTL_TEST_DATABASE_URL"):
        parser.error("ledger/store.py needs SEEDCTL_TEST_DATABASE_URL (a real PostgreSQL)")
    low = [t for t in args.targets if measure(t, args.sample, args.keep) < args.min_score]
    if low:
        print(f"below {args.min_score} %: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
