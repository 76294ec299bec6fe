"""The dry run as markdown: the spec's ``docs/audit/SEED_DRY_RUN_REPORT.md`` (section 10).

The report holds no clock time and no run id, so the same log against the same
database state gives the same bytes, and a committed report diffs cleanly.
"""

from __future__ import annotations

from pathlib import Path

from seedctl.engine.plan.result import PlanResult

__all__ = ["DEFAULT_REPORT_PATH", "render_plan_report", "write_plan_report"]

DEFAULT_REPORT_PATH = Path("docs/audit/SEED_DRY_RUN_REPORT.md")

_COLUMNS = (
    "entity",
    "table",
    "commands",
    "applied",
    "pending",
    "would insert",
    "would update",
    "unchanged",
    "would collide",
    "would delete",
    "batches",
)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|")


def render_plan_report(result: PlanResult) -> str:
    """The report's markdown text. Pure."""
    params = ", ".join(f"{k}={v}" for k, v in sorted(result.params.items()))
    lines = [
        "# Seed dry run report",
        "",
        "Produced by `seedctl plan`: what `seedctl apply` would do with this log against",
        "this database. Every query ran in one READ ONLY transaction; nothing was written",
        "to the database.",
        "",
        f"- Log: `{result.log_path}`",
        f"- Log digest: `{result.log_digest}`",
        f"- Scenario: `{result.scenario}`, tenant `{result.tenant}`, params: {params}",
        f"- Database: {result.database} (environment: {result.environment or 'unmarked'})",
        f"- Ledger: {'present' if result.ledger_exists else 'not created yet'}",
        f"- Batches: {result.batches} (at most {result.batch_size} rows each, in log order)",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "|".join("---" if c in ("entity", "table") else "---:" for c in _COLUMNS) + "|",
    ]
    for name, e in result.entities.items():
        row = (
            name,
            e.table,
            e.commands,
            e.applied,
            e.pending,
            e.would_insert,
            e.would_update,
            e.unchanged,
            e.would_collide,
            e.would_delete,
            e.batches,
        )
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    totals = [sum(getattr(e, f) for e in result.entities.values()) for f in _TOTALLED]
    lines.append("| **total** | | " + " | ".join(str(t) for t in totals) + " |")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    if result.collisions:
        lines += ["", "## Collisions (first few)", ""]
        lines += [f"- `{c}`" for c in result.collisions]
    if result.dependents:
        lines += ["", "## Rows seedctl did not write that hang on rows apply removes", ""]
        lines += [f"- `{d}`" for d in result.dependents]
    return "\n".join(lines) + "\n"


_TOTALLED = (
    "commands",
    "applied",
    "pending",
    "would_insert",
    "would_update",
    "unchanged",
    "would_collide",
    "would_delete",
    "batches",
)


def write_plan_report(result: PlanResult, path: Path) -> Path:
    """Write the report to ``path``, creating parent directories. Writes that file only.

    Written beside the target and renamed into place, so a reader never sees half a report.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render_plan_report(result), encoding="utf-8")
    partial.replace(path)
    return path
