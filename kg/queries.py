"""The canned questions behind `kg ask`: one .cypher file each under cypher/ask/, with
a header that documents it:

    // question: where
    // summary: one line
    // param name: what the parameter means
    // param cluster: ... (optional)
    // columns: a, b, c
    // evidence: what the evidence column shows

Parameters always travel as query parameters; user input never reaches query text.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import neo4j
import pandas as pd

from kg import cypher_text
from kg.errors import NotFound


class QueryRunner(Protocol):
    def query(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass
class Question:
    name: str
    summary: str
    params: dict[str, str]
    columns: list[str]
    evidence: str
    text: str
    notes: list[str] = field(default_factory=list)

    @property
    def optional_params(self) -> set[str]:
        return {p for p, doc in self.params.items() if "(optional)" in doc}

    @property
    def required_params(self) -> list[str]:
        return [p for p in self.params if p not in self.optional_params]


def parse_header(name: str, text: str) -> Question:
    summary, evidence, columns, params, notes = "", "", [], {}, []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        body = line[2:].strip()
        key, _, value = body.partition(":")
        key = key.strip()
        if key == "summary":
            summary = value.strip()
        elif key == "evidence":
            evidence = value.strip()
        elif key == "columns":
            columns = [c.strip() for c in value.split(",") if c.strip()]
        elif key.startswith("param "):
            params[key[len("param ") :].strip()] = value.strip()
        elif key != "question":
            notes.append(body)
    return Question(name, summary, params, columns, evidence, text, notes)


def catalogue() -> dict[str, Question]:
    return {name: parse_header(name, cypher_text.read(f"ask/{name}.cypher")) for name in cypher_text.listing("ask")}


def format_path(path: Any) -> str:
    """A graph path as evidence text: Kind/name -[TYPE]-> Kind/name <-[TYPE]- ..."""
    if path is None:
        return ""
    if not isinstance(path, neo4j.graph.Path):
        return str(path)

    def label(node: neo4j.graph.Node) -> str:
        return f"{node.get('kind', '?')}/{node.get('name', '?')}"

    parts = [label(path.start_node)]
    current = path.start_node
    for rel in path.relationships:
        if rel.start_node.element_id == current.element_id:
            parts.append(f"-[{rel.type}]->")
            current = rel.end_node
        else:
            parts.append(f"<-[{rel.type}]-")
            current = rel.start_node
        parts.append(label(current))
    return " ".join(parts)


def _cell(value: Any) -> Any:
    if isinstance(value, neo4j.graph.Path):
        return format_path(value)
    if isinstance(value, list):
        return [_cell(v) for v in value]
    return value


def run_question(
    store: QueryRunner, name: str, target: str | None, cluster: str | None = None, repo: str | None = None
) -> pd.DataFrame:
    questions = catalogue()
    if name not in questions:
        raise NotFound(f"unknown question {name!r}; known: {', '.join(questions)}")
    question = questions[name]
    params: dict[str, Any] = {"cluster": cluster, "repo": repo}
    if "name" in question.params:
        params["name"] = target
    rows = store.query(question.text, params)
    frame = pd.DataFrame([{k: _cell(v) for k, v in row.items()} for row in rows], columns=question.columns or None)
    if frame.empty and "name" in question.params:
        _raise_not_found(store, target or "", cluster, repo)
    return frame


def _raise_not_found(store: QueryRunner, target: str, cluster: str | None, repo: str | None) -> None:
    """Zero rows for a named target: say whether the name exists at all, and suggest."""
    names = store.query(cypher_text.read("lookup/names.cypher"), {"cluster": cluster, "repo": repo})
    known = sorted({r["name"] for r in names})
    if target in known:
        return  # the target exists; the answer is simply empty
    close = difflib.get_close_matches(target, known, n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    scope = f" in cluster {cluster}" if cluster else ""
    raise NotFound(f"nothing named {target!r}{scope} in the graph{hint}")


def render(frame: pd.DataFrame, fmt: str, width: int = 100) -> str:
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps(records, indent=2, ensure_ascii=False, sort_keys=False)
    if fmt == "csv":
        return frame.to_csv(index=False)
    return render_table(frame, width)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def render_table(frame: pd.DataFrame, width: int = 100) -> str:
    """Plain table; long columns (evidence) are printed under each row so the table
    stays readable at `width` columns."""
    if frame.empty:
        return "(no rows)"
    if len(frame) == 1:
        # one answer: one field per line, nothing truncated
        row = frame.iloc[0]
        label_width = max(len(str(c)) for c in frame.columns)
        return "\n".join(f"{str(c):<{label_width}}  {'' if _blank(row[c]) else row[c]}" for c in frame.columns)
    # a column with one value for every row (often the cluster) becomes a header line
    lines: list[str] = []
    if len(frame) > 1:
        constant = [c for c in frame.columns if c != "evidence" and frame[c].astype(str).nunique() == 1]
        if constant and len(constant) < len(frame.columns) - 1:
            lines.append("  ".join(f"{c}: {frame[c].iloc[0]}" for c in constant))
            frame = frame.drop(columns=constant)
    long_columns = [c for c in frame.columns if c == "evidence"]
    short = [c for c in frame.columns if c not in long_columns]
    cells = [["" if _blank(v) else str(v) for v in row] for row in frame[short].itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(short)]
    budget = max(width - 2 * (len(short) - 1), 20)
    while sum(widths) > budget and max(widths) > 12:
        widths[widths.index(max(widths))] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    lines.append("  ".join(fit(c, w).ljust(w) for c, w in zip(short, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row, full in zip(cells, frame.itertuples(index=False)):
        lines.append("  ".join(fit(v, w).ljust(w) for v, w in zip(row, widths)).rstrip())
        for column in long_columns:
            value = getattr(full, column)
            if value:
                lines.append(f"    {column}: {value}")
    lines.append(f"({len(frame)} row{'s' if len(frame) != 1 else ''})")
    return "\n".join(lines)
