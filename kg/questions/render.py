"""An answer as a person or a program reads it: a table (terminal), JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from kg.questions.answer import Answer


def render(answer: Answer, fmt: str, width: int = 100) -> str:
    if fmt == "json":
        return json.dumps(answer.rows, indent=2, ensure_ascii=False, sort_keys=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([_csv_cell(row[c]) for c in answer.columns] for row in answer.rows)
        return out.getvalue()
    return render_table(answer.columns, answer.rows, width)


def _csv_cell(value: Any) -> Any:
    return "" if value is None else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_table(columns: list[str], rows: list[dict[str, Any]], width: int = 100) -> str:
    """Plain table; long columns (evidence, command) are printed under each row so the
    table stays readable at `width` columns."""
    if not rows:
        return "(no rows)"
    columns = [c for c in columns if c not in ("id", "parent_id")]
    if len(rows) == 1:
        # one answer: one field per line, nothing truncated
        label_width = max(len(str(c)) for c in columns)
        return "\n".join(f"{str(c):<{label_width}}  {_text(rows[0][c])}" for c in columns)
    # a column with one value for every row (often the cluster) becomes a header line
    lines: list[str] = []
    long_columns = [c for c in columns if c in ("evidence", "command")]
    constant = [c for c in columns if c not in long_columns and len({_text(row[c]) for row in rows}) == 1]
    if constant and len(constant) < len(columns) - len(long_columns):
        shown = [c for c in constant if _text(rows[0][c])]
        if shown:
            lines.append("  ".join(f"{c}: {_text(rows[0][c])}" for c in shown))
        columns = [c for c in columns if c not in constant]
    short = [c for c in columns if c not in long_columns]
    cells = [[_text(row[c]) for c in short] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(short)]
    budget = max(width - 2 * (len(short) - 1), 20)
    while sum(widths) > budget and max(widths) > 12:
        widths[widths.index(max(widths))] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    lines.append("  ".join(fit(c, w).ljust(w) for c, w in zip(short, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for cell_row, row in zip(cells, rows):
        lines.append("  ".join(fit(v, w).ljust(w) for v, w in zip(cell_row, widths)).rstrip())
        for column in long_columns:
            if _text(row[column]):
                lines.append(f"    {column}: {_text(row[column])}")
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
