"""An answer as a program reads it (JSON, CSV: byte-stable) or a person (terminal.py)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from kg.questions.answer import Answer


def render(answer: Answer, fmt: str, width: int = 120, target: str | None = None, evidence: bool = False) -> str:
    if fmt == "json":
        return json.dumps(answer.rows, indent=2, ensure_ascii=False, sort_keys=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([_csv_cell(row[c]) for c in answer.columns] for row in answer.rows)
        return out.getvalue()
    from kg.questions.terminal import render_terminal  # Rich: only a person's view needs it (~25 ms)

    return render_terminal(answer, target, evidence, width)


def _csv_cell(value: Any) -> Any:
    """A list is one cell of its items joined by "; " (JSON keeps the list)."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value
