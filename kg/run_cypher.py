"""Running a .cypher file the same way on every engine.

A file may be a top-level union: parts separated by an unindented line `UNION` (rows
de-duplicated) or `UNION ALL`. kg runs each part as its own statement and merges the
rows, because the embedded engine types every column of a union as one type (a key
that is a string in one part and a list in another cannot be unioned there) and has
no `CALL { ... UNION ... }`; the file stays a valid Neo4j query to paste into Browser.
A union has no usable ORDER BY (it would bind to its last part), so row order comes
from the file's `// order:` header, applied here with Neo4j's rule: nulls last; the
`// sets:` header names columns of collect()ed lists, shown sorted.

A part that starts from its target with a label (`MATCH (t:Kustomization)` then `WHERE
t.id IN $ids`) is not run when kg knows the targets' labels and that one is not among
them: it would match nothing, but the embedded engine may walk first and join with the
target afterwards (blast-radius of a HelmRelease walked every Kustomization's dependsOn
chains: 0.5 s at 20,000 objects). tests/unit/test_run_cypher_skip.py checks that every
such part of every question has no rows without a target.

A part holding the line `// skip without: LABEL` (a schema label) needs a node of that
label to match anything, as a part about the live status does (`LiveStatus`: none
before `kg status load`). kg runs it only when the graph holds one: the embedded engine
may walk the whole graph for such a part before it finds nothing to join with (0.4 s
at 20,000 objects), and a part skipped that way has no rows on any engine.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from kg import cypher_files
from kg.cypher_files import CypherFile
from kg.store.base import QueryRunner, Row

_SKIP_WITHOUT = re.compile(r"^\s*// skip without: (\w+)\s*$", re.MULTILINE)
_TARGET_LABEL = re.compile(r"MATCH \((\w+):(\w+)\)\s*\n\s*WHERE \1\.id IN \$ids\b")


def target_label(statement: str) -> str | None:
    """The label a part's first clause gives its target (`MATCH (t:LABEL) WHERE t.id IN
    $ids`, whatever the variable), if it starts so."""
    clauses = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("//"))
    found = _TARGET_LABEL.match(clauses.strip())
    return found.group(2) if found else None


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def sort_key(value: Any) -> tuple[Any, ...]:
    """Neo4j's ascending order as far as kg needs it: nulls last, numbers before
    strings, lists element by element."""
    if value.__class__ is str:  # most cells: tens of thousands in a large answer
        return (1, value)
    if value is None:
        return (3,)
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, (int, float)):
        return (0, 1, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, (list, tuple)):
        return (2, tuple(sort_key(v) for v in value))
    return (1, str(value))


def order_rows(rows: list[Row], columns: list[str]) -> list[Row]:
    if not columns:
        return rows
    if len(columns) == 1:
        column = columns[0]
        return sorted(rows, key=lambda row: (sort_key(row.get(column)),))
    return sorted(rows, key=lambda row: tuple([sort_key(row.get(c)) for c in columns]))


def run(
    store: QueryRunner,
    file: CypherFile,
    params: dict[str, Any] | None = None,
    text: str | None = None,
    target_labels: Collection[str] | None = None,
) -> list[Row]:
    """Rows of a (possibly union) .cypher file, ordered by its `// order:` header; the
    columns its `// sets:` header names hold collect()ed lists, whose order no engine
    keeps: they are sorted. `text`: the file's text with its placeholders filled;
    `target_labels`: the labels of the nodes `$ids` names, when known."""
    statements, distinct = CypherFile.parse(text).parts() if text is not None else file.parts()
    sets = file.items("sets")
    rows: list[Row] = []
    seen: set[Any] = set()
    holds: dict[str, bool] = {}
    for statement in statements:
        if target_labels is not None and target_label(statement) not in (None, *target_labels):
            continue
        needed = _SKIP_WITHOUT.findall(statement)
        for label in needed:
            if label not in holds:
                query = cypher_files.load("lookup/label_holds_any.cypher").fill(label=label)
                holds[label] = bool(store.query(query))
        if not all(holds[label] for label in needed):
            continue
        for row in store.query(statement, params):
            for column in sets:
                if isinstance(row.get(column), list):
                    row[column] = sorted(row[column], key=sort_key)
            if distinct:
                key = _hashable(row)
                if key in seen:
                    continue
                seen.add(key)
            rows.append(row)
    return order_rows(rows, file.items("order"))
