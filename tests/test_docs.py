"""The docs cannot rot: every command, flag and exit code is in docs/cli.md, README's links
resolve, and docs/writing-a-scenario.md's example runs against real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import sys
import tomllib
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer.main
from seedctl.cli.app import app
from seedctl.engine.apply import apply_log
from seedctl.engine.revert import revert
from seedctl.engine.scenarios import ScenarioParams, get_scenario, registry
from seedctl.engine.verify import verify_log
from seedctl.ledger import LogHeader, append_commands
from seedctl.ledger import errors as ledger_errors

from tests.test_cli_apply import scalar, seedctl

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLI_MD = ROOT / "docs" / "cli.md"
SCENARIO_MD = ROOT / "docs" / "writing-a-scenario.md"
PYTHON_API_MD = ROOT / "docs" / "python-api.md"
CI_MD = ROOT / "docs" / "ci.md"

HEADING = re.compile(r"^(#+)\s+(.*?)\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group of the typer app with its path, the root first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


COMMANDS = list(walk(typer.main.get_command(app)))
NAMES = [" ".join(path) or "seedctl" for path, _ in COMMANDS]
LEAVES = [(path, c) for path, c in COMMANDS if path and not getattr(c, "commands", None)]


def sections(markdown: str) -> dict[str, str]:
    """Each heading's text (backticks dropped) to its section, subsections included."""
    lines = markdown.splitlines()
    heads = [
        (i, len(m[1]), m[2].replace("`", ""))
        for i, line in enumerate(lines)
        if (m := HEADING.match(line))
    ]
    found = {}
    for n, (start, level, title) in enumerate(heads):
        end = next((i for i, lvl, _ in heads[n + 1 :] if lvl <= level), len(lines))
        found[title] = "\n".join(lines[start:end])
    return found


def section_of(path: tuple[str, ...]) -> str:
    """The section of docs/cli.md that documents the command at ``path``."""
    title = f"seedctl {' '.join(path)}" if path else "Global options"
    found = sections(CLI_MD.read_text())
    assert title in found, f"docs/cli.md has no heading for {title!r}"
    return found[title]


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", title.replace("`", "").strip().lower())
    return text.replace(" ", "-")


def fenced_block_after(markdown: str, marker: str) -> str:
    """The body of the first fenced code block after the line ``<!-- marker... -->``."""
    match = re.search(
        rf"^<!-- {re.escape(marker)}[^\n]*-->\n```\w*\n(.*?)^```$",
        markdown,
        re.DOTALL | re.MULTILINE,
    )
    assert match, f"no code block marked {marker!r}"
    return match[1]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=NAMES)
def test_every_command_has_help_text(path: tuple[str, ...], command: Any) -> None:
    """Every command and group has help text, and so has each of its options."""
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    for param in command.params:
        if param.param_type_name == "option":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=NAMES)
def test_every_command_and_option_is_documented(path: tuple[str, ...], command: Any) -> None:
    """docs/cli.md has a heading per command whose section names every one of its flags."""
    text = section_of(path)
    for param in command.params:
        if param.param_type_name != "option":
            continue
        for flag in (*param.opts, *param.secondary_opts):
            assert re.search(rf"`{re.escape(flag)}(?![\w-])", text), (
                f"{flag} of {' '.join(('seedctl', *path))} is not in its section of docs/cli.md"
            )


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_shows_its_json_and_exit_codes(path: tuple[str, ...], command: Any) -> None:
    """Each command's section has an example, a ``--json`` example and an exit-code table."""
    text = section_of(path)
    assert f"$ seedctl {' '.join(path)}" in text or f"seedctl {' '.join(path)} " in text
    assert "| exit | when |" in text
    if any("--json" in p.opts for p in command.params):
        assert re.search(r'^\s*\{"', text, re.MULTILINE), f"no --json example for {path}"


def help_exit_codes(command: Any) -> set[int]:
    """The codes a command's ``--help`` lists after "Exit codes:"."""
    text = " ".join((command.help or "").split())
    match = re.search(r"Exit codes?: (.*)", text)
    assert match, "its --help lists no exit codes"
    return {int(n) for n in re.findall(r"(?:^|, )(\d{1,3})\b", match[1])}


def docs_exit_codes(section: str) -> set[int]:
    """The codes in the first column of a section's ``| exit | when |`` table."""
    table = section.split("| exit | when |", 1)[1]
    codes: set[int] = set()
    for line in table.splitlines():
        if line.startswith("| "):
            cell = line.strip("|").split("|")[0]
            codes.update(int(c) for c in cell.split(",") if c.strip().isdigit())
    return codes


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_help_and_docs_list_the_same_exit_codes(path: tuple[str, ...], command: Any) -> None:
    """Each command's --help lists exactly the exit codes of its table in docs/cli.md."""
    assert help_exit_codes(command) == docs_exit_codes(section_of(path)), " ".join(path)


def test_help_cites_no_spec_section() -> None:
    """No help text cites "spec section", which users of the CLI do not have."""
    for path, command in COMMANDS:
        texts = [command.help or ""] + [getattr(p, "help", "") or "" for p in command.params]
        assert not any("spec section" in t for t in texts), " ".join(path)


def test_every_exit_code_is_in_the_table() -> None:
    """docs/cli.md's exit-code table names each error class of ledger/errors.py at its code."""
    table = sections(CLI_MD.read_text())["Exit codes"]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("| ")
    ]
    codes = {row[0]: row[1] for row in rows[1:]}
    assert codes["0"] == ""
    classes = [
        getattr(ledger_errors, name)
        for name in ledger_errors.__all__
        if issubclass(getattr(ledger_errors, name), ledger_errors.SeedctlError)
    ]
    for cls in classes:
        cell = codes.get(str(cls.exit_code), "")
        assert f"`{cls.__name__}`" in cell, (
            f"{cls.__name__} (exit {cls.exit_code}) not in the table"
        )
    assert sorted(int(c) for c in codes) == list(range(13))


def test_readme_links_resolve() -> None:
    """Every relative link in README.md points at a file that exists."""
    targets = [t for t in LINK.findall(README.read_text()) if not re.match(r"\w+://|#|mailto:", t)]
    assert targets
    missing = [t for t in targets if not (ROOT / t.split("#")[0]).exists()]
    assert missing == []


@pytest.mark.parametrize("doc", [CLI_MD, SCENARIO_MD, PYTHON_API_MD, CI_MD], ids=lambda p: p.name)
def test_links_in_these_docs_resolve(doc: Path) -> None:
    """Relative links in docs/cli.md and docs/writing-a-scenario.md reach a file and heading."""
    for target in LINK.findall(doc.read_text()):
        if re.match(r"\w+://|mailto:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (doc.parent / file).resolve() if file else doc
        assert linked.exists(), target
        if anchor:
            titles = [
                m[2] for line in linked.read_text().splitlines() if (m := HEADING.match(line))
            ]
            assert anchor in {slug(t) for t in titles}, target


# The worked example of docs/writing-a-scenario.md.

MODULE = "seedctl_bookshop"


@pytest.fixture
def bookshop(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The guide's module, run as ``seedctl_bookshop`` and registered by the guide's own code."""
    markdown = SCENARIO_MD.read_text()
    module = types.ModuleType(MODULE)
    code = compile(
        fenced_block_after(markdown, "bookshop.py"), f"{SCENARIO_MD}:bookshop.py", "exec"
    )
    monkeypatch.setitem(sys.modules, MODULE, module)
    exec(code, module.__dict__)  # noqa: S102 - the documented example, run as written
    # Registration lasts for this test only.
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    exec(fenced_block_after(markdown, "register"), {})  # noqa: S102
    return module


def test_scenario_example_applies_verifies_and_reverts(
    bookshop: types.ModuleType, database_url: str, tmp_path: Path
) -> None:
    """The guide's scenario generates, applies, verifies, updates on a later as_of and reverts."""
    scenario = get_scenario("bookshop")
    assert scenario is bookshop.BOOKSHOP
    log = tmp_path / "bookshop.jsonl"

    def generate(as_of: dt.date) -> None:
        params = ScenarioParams(seed=scenario.default_seed, as_of=as_of, scale=2)  # type: ignore[attr-defined]
        header = LogHeader(
            scenario=scenario.name,
            tenant=scenario.tenant(params),
            params=params.as_header(),
            generator=scenario.version,
        )
        append_commands(log, header, scenario.generate(params))

    generate(dt.date(2026, 1, 15))
    result = apply_log(log, database_url=database_url, create_schema=True)
    assert (result.tenant, result.written) == ("corner-books", 13)

    shop_id = str(uuid.uuid5(bookshop.SHOP_NAMESPACE, "corner-books"))
    assert scalar(database_url, "SELECT id::text || ' ' || name FROM bookshop_shops") == (
        f"{shop_id} Corner Books"
    )
    with psycopg.connect(database_url) as conn:
        books = conn.execute(
            "SELECT id::text, shop_id::text, isbn, title, price, in_stock, listed_on, counted_on "
            "FROM bookshop_books ORDER BY isbn"
        ).fetchall()
    assert len(books) == 12
    assert sorted({b[3] for b in books}) == list(bookshop.TITLES)
    for book_id, shop, isbn, _, price, in_stock, listed_on, counted_on in books:
        assert book_id == str(uuid.uuid5(bookshop.BOOK_NAMESPACE, f"{shop_id}:{isbn}"))
        assert shop == shop_id
        assert 4.99 <= float(price) <= 29.99
        assert 0 <= in_stock <= 12
        assert listed_on == counted_on == dt.date(2026, 1, 15)
    assert verify_log(log, database_url=database_url).ok
    assert apply_log(log, database_url=database_url).written == 0

    # A later as_of: counted_on moves, listed_on is insert-only and stays.
    generate(dt.date(2026, 2, 15))
    later = apply_log(log, database_url=database_url)
    assert (later.entities["book"].updated, later.written) == (12, 12)
    assert (
        scalar(
            database_url,
            "SELECT string_agg(DISTINCT listed_on || '/' || counted_on, ',') FROM bookshop_books",
        )
        == "2026-01-15/2026-02-15"
    )
    assert verify_log(log, database_url=database_url).ok

    undone = revert(database_url=database_url, log_path=log)
    assert sum(undone.deleted.values()) == 13
    assert scalar(database_url, "SELECT count(*) FROM bookshop_books") == 0
    assert scalar(database_url, "SELECT count(*) FROM bookshop_shops") == 0


def test_scenario_example_is_deterministic(bookshop: types.ModuleType) -> None:
    """Two generations of the guide's scenario with the same params give the same commands."""
    params = ScenarioParams(seed="s", as_of=dt.date(2026, 1, 15), scale=3)
    first = list(bookshop.BOOKSHOP.generate(params))
    assert first == list(bookshop.BOOKSHOP.generate(params))
    counts = {e: sum(c.entity == e for c in first) for e in bookshop.BOOKSHOP.entity_tables}
    assert counts == bookshop.BOOKSHOP.expected_counts(params)


def test_scenario_example_works_through_the_documented_entry_point(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Through the guide's entry point, ``seedctl`` generates, applies, verifies and reverts it."""
    markdown = SCENARIO_MD.read_text()
    entry_points = tomllib.loads(fenced_block_after(markdown, "pyproject.toml"))["project"][
        "entry-points"
    ]
    assert entry_points == {"seedctl.scenarios": {"bookshop": f"{MODULE}:BOOKSHOP"}}
    site = tmp_path / "site"
    dist_info = site / "seedctl_bookshop-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (site / f"{MODULE}.py").write_text(fenced_block_after(markdown, "bookshop.py"))
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: seedctl-bookshop\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[seedctl.scenarios]\n"
        + "".join(f"{k} = {v}\n" for k, v in entry_points["seedctl.scenarios"].items())
    )
    env = {**seedctl_env, "PYTHONPATH": str(site)}

    steps = [
        (
            "generate",
            "--scenario",
            "bookshop",
            "--log",
            "b.jsonl",
            "--as-of",
            "2026-01-15",
            "--scale",
            "2",
        ),
        ("apply", "--log", "b.jsonl", "--create-schema"),
        ("verify", "--log", "b.jsonl"),
        ("revert", "--log", "b.jsonl"),
    ]
    outputs = []
    for args in steps:
        result = seedctl(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append(result.stdout)
    assert "added:   13\n" in outputs[0]
    assert " 13 rows written in " in outputs[1]
    assert outputs[2].startswith("verified tenant corner-books on ")
    assert "reverted 1 apply run(s)" in outputs[3]


def test_python_api_example_runs(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/python-api.md's example generates, plans, applies, verifies, audits and reverts."""
    monkeypatch.setenv("SEEDCTL_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    code = compile(
        fenced_block_after(PYTHON_API_MD.read_text(), "python-api.py"),
        f"{PYTHON_API_MD}:python-api.py",
        "exec",
    )
    exec(code, {"__name__": "python_api_example"})  # noqa: S102 - the documented example
    assert scalar(database_url, "SELECT count(*) FROM users") == 0
    assert scalar(database_url, "SELECT count(*) FROM seedctl.runs WHERE kind = 'revert'") == 1


def test_ci_recipe_uses_only_real_commands_and_flags() -> None:
    """Every ``seedctl ...`` line of docs/ci.md's workflow parses against the real CLI."""
    import shlex

    from typer.testing import CliRunner

    text = CI_MD.read_text()
    lines = re.findall(r"run: (seedctl [^\n#]*)", text)
    assert len(lines) >= 6
    assert any("plan --check" in line for line in lines)
    runner = CliRunner()
    for line in lines:
        args = shlex.split(line.split(">")[0])[1:]
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (line, result.output)
