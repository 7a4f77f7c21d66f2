"""An answer as a person on call reads it on a terminal (Rich): what it means first (a
summary, the values every row shares), then rows grouped as the question's header says
(`group`), the columns that carry the meaning (`keep`) never cut or wrapped, the others
wrapped; commands (`below`) on lines of their own so they copy whole; evidence only when
asked for. JSON and CSV (render.py) are for programs and do not change with this."""

from __future__ import annotations

import io
from collections.abc import Callable
from itertools import groupby
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kg.questions.answer import Answer
from kg.schema import WORKLOAD_KINDS

# Ids join rows of a tree; a person reads the names instead.
HIDDEN = ("id", "parent_id")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def shown_value(row: dict[str, Any], column: str) -> str:
    """A run's value; none is said (a Namespace's namespace: cluster-scoped)."""
    return text(row[column]) or "-"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def blast_radius_summary(answer: Answer, target: str) -> str:
    """ "vault failing blocks 6 Kustomizations and stops 12 workloads in 4 namespaces",
    counted from the rows (an object with two impacts counts once)."""
    kustomizations = {(r["namespace"], r["name"]) for r in answer.rows if r["kind"] == "Kustomization"}
    workloads = {(r["namespace"], r["name"]) for r in answer.rows if r["kind"] in WORKLOAD_KINDS}
    namespaces = {namespace for namespace, _ in workloads}
    objects = {(r["kind"], r["namespace"], r["name"]) for r in answer.rows}
    # telemetry rows: what collectors ship to the target stops being stored (reason starts with the signal)
    signals = sorted({r["reason"].split(" ", 1)[0] for r in answer.rows if r["impact"] == "telemetry"})
    stored = f", and the {' and '.join(signals)} shipped to it are no longer stored" if signals else ""
    return (
        f"{target} failing blocks {plural(len(kustomizations), 'Kustomization')} and stops "
        f"{plural(len(workloads), 'workload')} in {plural(len(namespaces), 'namespace')}{stored} "
        f"({plural(len(objects), 'object')} impacted in all)"
    )


# Summaries computed from the rows, by question; a question without one starts with its
# shared values.
SUMMARIES: dict[str, Callable[[Answer, str], str]] = {"blast-radius": blast_radius_summary}


def renderables(answer: Answer, target: str | None = None, evidence: bool = False) -> list[RenderableType]:
    question = answer.question
    columns = [c for c in answer.columns if c not in HIDDEN and (evidence or c != "evidence")]
    rows = answer.rows
    shown: list[RenderableType] = []
    summary = SUMMARIES.get(question.name)
    if summary and target:
        shown.append(Text(summary(answer, target), style="bold"))
    if len(rows) == 1:
        return shown + [fields(columns, rows[0])]
    # a column with one value for every row (often the cluster) is said once, above
    constant = [c for c in columns if c not in question.below and len({text(r[c]) for r in rows}) == 1]
    if constant and len(constant) < len(columns):
        said = "  ".join(f"{c}: {text(rows[0][c])}" for c in constant if text(rows[0][c]))
        if said:
            shown.append(Text(said, style="dim"))
        columns = [c for c in columns if c not in constant]
    sections = [g for g in question.group if g in columns]
    heading, within = (sections[0], sections[1:]) if sections else (None, [])
    rows = grouped(rows, heading, within)
    for value, section in groupby(rows, key=lambda r: text(r[heading]) if heading else ""):
        section_rows = list(section)
        if heading:
            shown.append(Text(f"\n{heading}: {value or '-'} ({plural(len(section_rows), 'row')})", style="bold"))
        body = [c for c in columns if c != heading]
        if question.below or evidence:
            # evidence is a path as long as the row: a line of its own, not a squeezed column
            shown.append(blocks(body, section_rows, question.below))
        else:
            shown.append(table(body, section_rows, question.keep, within))
    shown.append(Text(f"({plural(len(rows), 'row')})", style="dim"))
    return shown


def grouped(rows: list[dict[str, Any]], heading: str | None, within: list[str]) -> list[dict[str, Any]]:
    """Sections in the order the question's rows first show them (its order carries
    meaning: delivery before runtime, errors before warnings, step 1 before step 2), runs of
    `within` values sorted inside a section, and the question's order inside a run."""
    first: dict[str, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(text(row[heading]) if heading else "", index)
    return sorted(rows, key=lambda r: (first[text(r[heading]) if heading else ""], *(text(r[c]) for c in within)))


def fields(columns: list[str], row: dict[str, Any]) -> Table:
    """One answer: one field per line, nothing cut."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for column in columns:
        grid.add_row(column, text(row[column]))
    return grid


def table(columns: list[str], rows: list[dict[str, Any]], keep: list[str], within: list[str]) -> Table:
    """Rows under a header; `within` columns come first and show a value once per run of
    equal values (a line closes each run)."""
    columns = within + [c for c in columns if c not in within]
    grid = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        if column in keep or column in within:
            # the meaning of the row: whole, on one line, however narrow the terminal
            width = max(len(column), *(len(text(r[column])) for r in rows))
            grid.add_column(column, no_wrap=True, min_width=width)
        else:
            grid.add_column(column, overflow="fold", style="dim" if column == "evidence" else None)
    runs = groupby(rows, key=lambda r: tuple(text(r[c]) for c in within))
    for _, run in runs:
        run_rows = list(run)
        for index, row in enumerate(run_rows):
            cells = [shown_value(row, c) if index == 0 or c not in within else "" for c in columns]
            grid.add_row(*cells, end_section=bool(within) and index == len(run_rows) - 1)
    return grid


def blocks(columns: list[str], rows: list[dict[str, Any]], below: list[str]) -> Group:
    """Rows as blocks: the short columns on one line, then each `below` column on an
    indented line of its own (a command as `$ command`, never wrapped by kg so it copies
    whole; prose wrapped under its label)."""
    lines: list[RenderableType] = []
    under = [c for c in columns if c in below or c == "evidence"]
    short = [c for c in columns if c not in under]
    for row in rows:
        # two values read as what they are ("3  its dependency ..."); more need their names
        if len(short) > 2:
            named = (Text.assemble((f"{c}: ", "dim"), (text(row[c]), "bold")) for c in short if text(row[c]))
            line = Text("  ").join(named)
        else:
            line = Text("  ".join(text(row[c]) for c in short if text(row[c])), style="bold")
        lines.append(line)
        for column in under:
            value = text(row[column])
            if not value:
                continue
            if column == "command":
                lines.append(Text("    $ " + value, style="cyan", no_wrap=True, overflow="ignore"))
            else:
                label = Text(f"{column}: ", style="dim")
                lines.append(Padding(Text.assemble(label, value), (0, 0, 0, 4)))
    return Group(*lines)


def render_terminal(answer: Answer, target: str | None = None, evidence: bool = False, width: int = 120) -> str:
    """The terminal rendering as plain text (tests, and `--format table` into a pipe)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, soft_wrap=False)
    print_answer(console, answer, target, evidence)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines())


def print_answer(console: Console, answer: Answer, target: str | None = None, evidence: bool = False) -> None:
    for item in renderables(answer, target, evidence):
        # commands are printed as long as they are: the terminal wraps them softly
        console.print(item, crop=False)
