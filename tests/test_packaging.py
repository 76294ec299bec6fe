"""Installed, seedctl adds one import name, ``seedctl``, and shadows none of the user's own.

The wheel is built from this checkout and installed into a fresh venv beside a project that
has packages of its own named ``engine`` and ``cli``: both sides import, and the console
script runs. seedctl's dependencies come from the running environment (a ``.pth`` line), so
the test needs no network beyond what building the wheel needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """seedctl's wheel, built from a copy of the checkout (the build writes beside sources)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "ledger", "engine", "cli"):
        item = REPO / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, source / name)
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source, cwd=source)
    (built,) = out.glob("seedctl-*.whl")
    return built


def test_the_wheel_holds_only_the_seedctl_package(wheel: Path) -> None:
    """Every file of the wheel lives under ``seedctl/`` or its dist-info, and nothing else."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"seedctl"}
    assert "seedctl/engine/scenarios/okr_demo/scenario.py" in names
    assert "seedctl/ledger/py.typed" in names


def test_installed_beside_a_users_own_engine_and_cli(wheel: Path, tmp_path: Path) -> None:
    """A project with its own ``engine`` and ``cli`` packages imports them and seedctl both."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    # seedctl's dependencies, from the environment running the tests, after the venv's own.
    (site / "seedctl-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    project = tmp_path / "project"
    for name in ("engine", "cli"):
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(f'OWNER = "the user\'s own {name}"\n')
    script = (
        "import engine, cli, seedctl.engine.db\n"
        "from seedctl.engine.scenarios import get_scenario, register_scenario\n"
        'assert engine.OWNER == "the user\'s own engine", engine.__file__\n'
        'assert cli.OWNER == "the user\'s own cli", cli.__file__\n'
        "assert get_scenario('okr-demo').name == 'okr-demo'\n"
        "assert callable(register_scenario)\n"
        "print(seedctl.engine.db.__file__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = _run(python, "-c", script, cwd=project, env=env)
    assert where.startswith(str(site)), where

    version = _run(env_dir / "bin" / "seedctl", "--version", cwd=project, env=env)
    assert version.startswith("seedctl ")


def test_the_editable_install_adds_no_generic_names(tmp_path: Path) -> None:
    """In the test environment itself (editable), ``engine``, ``cli`` and ``ledger`` are free."""
    script = (
        "import importlib.util as u\n"
        "print([n for n in ('engine', 'cli', 'ledger') if u.find_spec(n)])\n"
        "import seedctl.cli.app\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    assert _run(sys.executable, "-c", script, cwd=tmp_path, env=env).strip() == "[]"
