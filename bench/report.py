"""Turning one benchmark run into numbers people read: tables, target checks, JSON, chart.

Everything here is pure formatting of a :class:`Results` except the two writers
(``write_json``, ``draw_chart``) and ``update_doc``. Ratios, not seconds, are the
point: every ratio compares loaders measured in the same run on the same rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Line",
    "Results",
    "Step",
    "Target",
    "draw_chart",
    "loader_lines",
    "markdown",
    "read_json",
    "targets",
    "text_report",
    "update_doc",
    "write_json",
]

MILLION = 1_000_000
DOC_START = "<!-- bench:results:start -->"
DOC_END = "<!-- bench:results:end -->"


@dataclass(frozen=True)
class Step:
    """One measured step.

    ``wall_s`` is the wall clock around the whole subprocess (start-up included);
    ``own_s`` the part the tool timed itself (seedctl's ``elapsed_s``, the COPY
    statements alone, the per-row loop alone; the wall time if the step failed).
    """

    rows: int
    wall_s: float
    own_s: float
    peak_rss_mb: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    client_cpu_s: float | None = None
    """User + system CPU seconds of the step's own process (GNU time only)."""
    server_cpu_s: float | None = None
    """CPU seconds of all PostgreSQL processes during the step (embedded server only)."""
    error: str = ""
    """Why the step failed ("" if it did not); ``rows`` then counts what it did before."""


@dataclass
class Results:
    """Everything one run measured, plus where and how."""

    params: dict[str, Any]
    machine: dict[str, Any]
    generate: Step
    copy: Step
    apply: Step
    rerun: Step
    revert: Step
    per_row: Step

    @property
    def copy_rate(self) -> float:
        """Rows/s of the strict physical baseline: the COPY statements alone."""
        return self.copy.rows / self.copy.own_s

    @property
    def copy_with_read_s(self) -> float:
        return float(self.copy.detail["read_s"]) + self.copy.own_s

    @property
    def apply_rate(self) -> float:
        return self.apply.rows / self.apply.wall_s

    @property
    def revert_rate(self) -> float:
        return self.revert.rows / self.revert.wall_s

    @property
    def per_row_rate(self) -> float:
        """Rows/s of the per-row sample (the loop alone)."""
        return self.per_row.rows / self.per_row.own_s

    @property
    def per_row_total_s(self) -> float:
        """The per-row rate scaled up to every row of the log."""
        return int(self.per_row.detail["log_rows"]) / self.per_row_rate

    @property
    def generate_rate(self) -> float:
        return self.generate.rows / self.generate.wall_s

    @property
    def rerun_share(self) -> float:
        return self.rerun.wall_s / self.apply.wall_s


@dataclass(frozen=True)
class Line:
    """One row of the loader table."""

    loader: str
    rows: int | None
    seconds: float
    rate: float | None
    vs_copy: float | None
    peak_rss_mb: float | None
    client_cpu_s: float | None
    server_cpu_s: float | None


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def loader_lines(r: Results) -> list[Line]:
    """The loader table: raw COPY is the baseline (1.00), the rest as a ratio to it.

    CPU columns: the loader process's user + system seconds, and the server's (all
    PostgreSQL processes) during the step. The COPY-only line has no client CPU of
    its own (the loader process also read the log); the per-row line is scaled
    from the sample like its seconds.
    """

    def line(
        name: str, rows: int | None, seconds: float, step: Step, *, client: bool = True
    ) -> Line:
        rate = rows / seconds if rows else None
        return Line(
            name,
            rows,
            seconds,
            rate,
            rate / r.copy_rate if rate else None,
            step.peak_rss_mb,
            step.client_cpu_s if client else None,
            step.server_cpu_s,
        )

    log_rows = int(r.per_row.detail["log_rows"])
    per_row = Step(
        rows=log_rows,
        wall_s=r.per_row_total_s,
        own_s=r.per_row_total_s,
        peak_rss_mb=r.per_row.peak_rss_mb,
        server_cpu_s=_scaled(r.per_row.server_cpu_s, log_rows / r.per_row.rows),
    )
    return [
        line(
            "raw COPY, binary: COPY only (baseline)",
            r.copy.rows,
            r.copy.own_s,
            r.copy,
            client=False,
        ),
        line("raw COPY, binary: incl. log reading", r.copy.rows, r.copy_with_read_s, r.copy),
        line("seedctl apply (first run)", r.apply.rows, r.apply.wall_s, r.apply),
        line("seedctl apply (no-op rerun)" + _failed(r.rerun), None, r.rerun.wall_s, r.rerun),
        line("seedctl revert" + _failed(r.revert), r.revert.rows, r.revert.wall_s, r.revert),
        line(
            f"per-row upsert ({r.per_row.rows:,}-row sample, scaled)",
            log_rows,
            r.per_row_total_s,
            per_row,
            client=False,
        ),
    ]


def _failed(step: Step) -> str:
    if not step.error:
        return ""
    return " (stopped part way)" if step.detail.get("timed_out") else " (FAILED part way)"


@dataclass(frozen=True)
class Target:
    """One of issue 6's targets and how this run did against it."""

    name: str
    measured: str
    passed: bool
    note: str = ""

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def targets(r: Results) -> list[Target]:
    """Issue 6's targets, judged on wall-clock times (what a user waits for)."""
    vs_copy = r.apply_rate / r.copy_rate
    vs_row = r.apply_rate / r.per_row_rate
    revert_vs_apply = r.revert_rate / r.apply_rate
    rss = r.apply.peak_rss_mb
    own_share = r.rerun.own_s / r.apply.own_s
    small = r.apply.rows < MILLION
    revert_note = f"after {r.revert.rows:,} of {r.apply.rows:,} rows: {r.revert.error}"
    return [
        Target("first apply >= 0.5x raw COPY rate", f"{vs_copy:.2f}x", vs_copy >= 0.5),
        Target("first apply >= 25x per-row rate", f"{vs_row:.1f}x", vs_row >= 25),
        Target(
            "no-op rerun <= 3% of first apply's time",
            f"{r.rerun_share:.1%}",
            r.rerun_share <= 0.03 and not r.rerun.error,
            r.rerun.error or f"by seedctl's own elapsed: {own_share:.1%}",
        ),
        Target(
            "revert >= 0.3x first apply's rate",
            f"{_ratio(revert_vs_apply)}x" + (" (partial)" if r.revert.error else ""),
            revert_vs_apply >= 0.3 and not r.revert.error,
            revert_note if r.revert.error else "",
        ),
        Target(
            "apply peak RSS < 300 MB at >= 1,000,000 commands",
            "not measured" if rss is None else f"{rss:.0f} MB",
            rss is not None and rss < 300,
            f"only {r.apply.rows:,} commands: not the target's scale" if small else "",
        ),
        Target(
            "generate >= 200,000 commands/s",
            f"{r.generate_rate:,.0f}/s",
            r.generate_rate >= 200_000,
            f"by seedctl's own elapsed: {r.generate.rows / r.generate.own_s:,.0f}/s",
        ),
    ]


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(value: float | None) -> str:
    """Two decimals, three below 0.1 (so that a slow loader does not show as 0.00)."""
    if value is None:
        return "-"
    return format(value, ".2f" if value >= 0.1 else ".3f")


def _cells(line: Line) -> list[str]:
    return [
        line.loader,
        _num(line.rows, ","),
        _num(line.seconds, ".2f"),
        _num(line.rate, ",.0f"),
        _ratio(line.vs_copy),
        _num(line.peak_rss_mb, ".0f"),
        _num(line.client_cpu_s, ".1f"),
        _num(line.server_cpu_s, ".1f"),
    ]


LOADER_HEADER = [
    "loader",
    "rows",
    "seconds",
    "rows/s",
    "vs COPY",
    "peak RSS MB",
    "client CPU s",
    "server CPU s",
]
TARGET_HEADER = ["target", "measured", "verdict", "note"]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def fmt(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i == 0 or (not c[:1].isdigit() and c != "-") else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])


def _facts(r: Results) -> list[str]:
    """The derived figures under the table, one sentence each."""
    gen = r.generate
    return [
        f"no-op rerun: {r.rerun.wall_s:.2f} s = {r.rerun_share:.1%} of the first apply "
        f"(seedctl's own elapsed: {r.rerun.own_s:.2f} s of {r.apply.own_s:.2f} s)",
        f"revert rate / first apply rate: {_ratio(r.revert_rate / r.apply_rate)}",
        f"seedctl apply / per-row rate: {r.apply_rate / r.per_row_rate:.1f}x "
        f"(per-row measured on {r.per_row.rows:,} rows in {r.per_row.own_s:.2f} s)",
        f"generate: {gen.rows:,} commands in {gen.wall_s:.2f} s = {r.generate_rate:,.0f} "
        f"commands/s (own elapsed {gen.own_s:.2f} s), peak RSS {_num(gen.peak_rss_mb, '.0f')} MB, "
        f"log {gen.detail.get('log_bytes', 0) / 1e6:,.0f} MB",
        f"raw COPY reading the log into typed rows: {r.copy.detail['read_s']:.2f} s "
        f"(not in the baseline)",
        f"seedctl's own elapsed: apply {r.apply.own_s:.2f} s, revert {r.revert.own_s:.2f} s",
        *(
            f"{name} {'stopped' if step.detail.get('timed_out') else 'FAILED'} after "
            f"{step.wall_s:.1f} s ({step.rows:,} rows done): {step.error}"
            for name, step in (("no-op rerun", r.rerun), ("seedctl revert", r.revert))
            if step.error
        ),
    ]


def _timeline(r: Results) -> str:
    events = r.apply.detail.get("timeline") or {}
    if not events:
        return ""
    ordered = sorted(events.items(), key=lambda item: item[1])
    steps = ", ".join(f"{name} at {t:.1f} s" for name, t in ordered)
    return f"seedctl apply timeline (since process start): {steps}"


def text_report(r: Results) -> str:
    """The plain-text report printed at the end of a run."""
    loaders = _text_table(LOADER_HEADER, [_cells(x) for x in loader_lines(r)])
    checks = _text_table(
        TARGET_HEADER, [[t.name, t.measured, t.verdict, t.note] for t in targets(r)]
    )
    timeline = _timeline(r)
    return "\n".join(
        [
            f"okr-demo scale {r.params['scale']}: {r.apply.rows:,} rows, same rows for every "
            "loader, one run",
            "",
            loaders,
            "",
            *(f"- {f}" for f in _facts(r)),
            *([f"- {timeline}"] if timeline else []),
            "",
            "targets (issue 6), judged on wall-clock times:",
            "",
            checks,
        ]
    )


def _md_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in lines)


def markdown(r: Results) -> str:
    """The results block of docs/benchmarks.md: loaders, derived figures, targets, machine."""
    loaders = _md_table(LOADER_HEADER, [_cells(x) for x in loader_lines(r)], {1, 2, 3, 4, 5, 6, 7})
    checks = _md_table(
        TARGET_HEADER,
        [[t.name, t.measured, f"**{t.verdict}**", t.note] for t in targets(r)],
        set(),
    )
    machine = _md_table(["", ""], [[k, str(v)] for k, v in r.machine.items()], set())
    timeline = _timeline(r)
    return "\n".join(
        [
            f"Run of {r.machine.get('date', '?')}: okr-demo at scale {r.params['scale']} "
            f"(as of {r.params['as_of']}), {r.apply.rows:,} rows, per-row sample "
            f"{r.params['per_row_sample']:,}, database: {r.params['database']}.",
            "",
            loaders,
            "",
            *(f"- {f}" for f in _facts(r)),
            *([f"- {timeline}"] if timeline else []),
            "",
            checks,
            "",
            "Machine:",
            "",
            machine,
        ]
    )


def update_doc(doc: Path, r: Results) -> None:
    """Replace the block between the bench markers in ``doc`` with this run's markdown."""
    text = doc.read_text()
    pattern = re.compile(re.escape(DOC_START) + r".*?" + re.escape(DOC_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{doc} has no {DOC_START} ... {DOC_END} block to replace")
    block = f"{DOC_START}\n{markdown(r)}\n{DOC_END}"
    doc.write_text(pattern.sub(lambda _: block, text, count=1))


def read_json(path: Path) -> Results:
    """A run back from its ``latest.json`` (to re-render the report, doc or chart)."""
    data = json.loads(path.read_text())
    steps = {
        name: Step(**data[name])
        for name in ("generate", "copy", "apply", "rerun", "revert", "per_row")
    }
    return Results(params=data["params"], machine=data["machine"], **steps)


def write_json(path: Path, r: Results) -> None:
    """All measurements, derived ratios and verdicts as one JSON document."""
    payload = asdict(r)
    payload["derived"] = {
        "copy_rows_per_s": r.copy_rate,
        "copy_with_read_s": r.copy_with_read_s,
        "apply_rows_per_s": r.apply_rate,
        "apply_vs_copy": r.apply_rate / r.copy_rate,
        "apply_vs_per_row": r.apply_rate / r.per_row_rate,
        "per_row_rows_per_s": r.per_row_rate,
        "per_row_total_s_estimated": r.per_row_total_s,
        "rerun_share_of_apply": r.rerun_share,
        "revert_rows_per_s": r.revert_rate,
        "revert_vs_apply": r.revert_rate / r.apply_rate,
        "generate_commands_per_s": r.generate_rate,
    }
    payload["targets"] = [asdict(t) | {"verdict": t.verdict} for t in targets(r)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def draw_chart(path: Path, r: Results) -> None:
    """A bar chart of rows/s: raw COPY, seedctl apply, per-row. Needs matplotlib."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    bars = [
        ("raw COPY (binary)", r.copy_rate, "#4c72b0"),
        ("seedctl apply", r.apply_rate, "#55a868"),
        ("per-row upsert", r.per_row_rate, "#c44e52"),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=120)
    names = [b[0] for b in bars][::-1]
    rates = [b[1] for b in bars][::-1]
    ax.barh(names, rates, color=[b[2] for b in bars][::-1])
    for y, rate in enumerate(rates):
        ax.text(
            rate,
            y,
            f"  {rate:,.0f} rows/s ({_ratio(rate / r.copy_rate)}x COPY)",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, max(rates) * 1.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlabel("rows per second (higher is better)")
    ax.set_title(
        f"okr-demo scale {r.params['scale']}: {r.apply.rows:,} rows, "
        f"{r.machine.get('date', '')[:10]}",
        fontsize=10,
    )
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
