"""Asking a question: resolve its target, run its file on the store, reduce the rows
as its header says (`evidence segments`, `per`/`least`, `shape: tree`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg import run_cypher
from kg.cypher_files import CypherFile
from kg.errors import UsageError
from kg.evidence import cell, joined_segments
from kg.questions.catalogue import Question, catalogue
from kg.questions.targets import Target, resolve_target
from kg.schema import NODE_TYPES
from kg.store.base import Store

# How a question file finds its target: portable, and runnable as it is in Browser (the
# placeholder is a comment). An unlabelled node pattern scans every node of every
# repository in Neo4j, though; when the target has one label, kg fills the `target`
# placeholder with it (a label from the schema, never from the command line), so Neo4j
# seeks the id in that label's index. Not on an engine whose labels bind properties: a
# part may read a property another of its target kinds has.
TARGET_MATCH = "MATCH (t/*:{target}*/)\nWHERE t.id IN $ids"


def bind_target_label(file: CypherFile, labels: set[str]) -> str:
    if len(labels) != 1 or next(iter(labels)) not in NODE_TYPES or "target" not in file.optional_placeholders:
        return file.text
    return file.fill(target=next(iter(labels)))


def least_per(rows: list[dict[str, Any]], per: list[str], least: list[str]) -> list[dict[str, Any]]:
    """The `per`/`least` headers: of the candidate rows of each group, the least by the
    `least` columns, then by evidence text (the same choice on every engine)."""
    best: dict[tuple[str, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for row in rows:
        group = tuple(str(row.get(c)) for c in per)
        rank = tuple(run_cypher.sort_key(row.get(c)) for c in least) + (str(row.get("evidence") or ""),)
        if group not in best or rank < best[group][0]:
            best[group] = (rank, row)
    return [row for _, row in best.values()]


@dataclass
class Answer:
    """A question's rows, each a dict over `columns` (missing cells are None)."""

    question: Question
    columns: list[str]
    rows: list[dict[str, Any]]
    target: Target | None = None

    @property
    def empty_message(self) -> str:
        return self.question.empty or "no rows"


# escaped with a backslash: the characters special in Java's (Neo4j) and RE2's (Ladybug)
# regular expressions; escaping anything else (a space) is an error in RE2
_REGEX_SPECIAL = frozenset(".^$|?*+()[]{}\\")


def glob_pattern(glob: str | None) -> str:
    """A glob (`*` any text, `?` one character, the rest literal) as the case-insensitive
    regular expression a question compares with `=~` (whole-text match on both engines);
    '.*' (everything) without one. The user's text stays a parameter value."""
    if not glob:
        return ".*"
    parts = [".*" if ch == "*" else "." if ch == "?" else "\\" + ch if ch in _REGEX_SPECIAL else ch for ch in glob]
    return "(?i)^" + "".join(parts) + "$"


def ask(
    store: Store,
    name: str,
    target: str | None,
    cluster: str | None = None,
    repo: str | None = None,
    key: str | None = None,
) -> Answer:
    """`key`: a glob narrowing a question that takes `// param key:` (config: setting names
    and dotted paths); a question without that parameter refuses one."""
    questions = catalogue()
    if name not in questions:
        raise UsageError(f"unknown question {name!r}; known: {', '.join(questions)}")
    question = questions[name]
    if key and "key" not in question.params:
        raise UsageError(f"`kg ask {name}` takes no --key")
    params: dict[str, Any] = {"cluster": cluster, "repo": repo, "key": glob_pattern(key)}
    resolved = None
    text = None
    if question.takes_target:
        if not target:
            raise UsageError(f"`kg ask {name}` needs a NAME")
        resolved = resolve_target(store, question, target, cluster, repo)
        params["ids"] = resolved.ids
        if not store.labels_bind_properties:
            text = bind_target_label(question.file, resolved.labels)
    return _answer(store, question, params, text, resolved, resolved.labels if resolved else None)


def ask_ids(store: Store, name: str, ids: list[str], label: str) -> Answer:
    """A question about objects known by id (all of one label), as `kg ask` answers it about a
    NAME that resolves to them: `kg diff` asks blast-radius about each changed object."""
    question = catalogue()[name]
    text = None if store.labels_bind_properties else bind_target_label(question.file, {label})
    return _answer(store, question, {"cluster": None, "repo": None, "ids": ids}, text, None, {label})


def _answer(
    store: Store,
    question: Question,
    params: dict[str, Any],
    text: str | None,
    resolved: Target | None,
    target_labels: set[str] | None = None,
) -> Answer:
    rows = run_cypher.run(store, question.file, params, text, target_labels)
    if question.segments:
        for row in rows:
            row[question.segments[0]] = joined_segments(row, question.segments)
    rows = [{k: v if v.__class__ is str else cell(v) for k, v in row.items()} for row in rows]
    if question.per:
        rows = run_cypher.order_rows(least_per(rows, question.per, question.least), question.order)
    columns = question.columns or list(dict.fromkeys(k for row in rows for k in row))
    rows = [{c: row.get(c) for c in columns} for row in rows]
    if question.shape == "tree":
        rows = tree_order(rows)
    return Answer(question, columns, rows, resolved)


def tree_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in depth-first order (parents before children, siblings by kind and name),
    with the name indented by depth, as `flux tree` prints."""
    ids = {row["id"] for row in rows}
    children: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent_id"] if row["parent_id"] in ids else "", []).append(row)
    order: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(parent: str) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: (str(r["kind"]), str(r["name"]))):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            order.append({**row, "name": "  " * int(row["depth"] - 1) + str(row["name"])})
            visit(row["id"])

    visit("")
    return order
