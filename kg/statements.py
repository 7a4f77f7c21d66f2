"""Running a .cypher file the same way on every engine.

A file may be a top-level union: parts separated by an unindented line `UNION` (rows
de-duplicated) or `UNION ALL`. kg runs each part as its own statement and merges the
rows, because the embedded engine types every column of a union as one type (a key
that is a string in one part and a list in another cannot be unioned there) and has
no `CALL { ... UNION ... }`; the file stays a valid Neo4j query to paste into Browser.
A union has no usable ORDER BY (it would bind to its last part), so row order comes
from the file's `// order:` header, applied here with Neo4j's rule: nulls last; the
`// sets:` header names columns of collect()ed lists, shown sorted.
"""

from __future__ import annotations

from typing import Any

from kg.store.base import QueryRunner


def parts(text: str) -> tuple[list[str], bool]:
    """The statements of a file and whether its union removes duplicate rows."""
    chunks: list[list[str]] = [[]]
    distinct = False
    for line in text.splitlines():
        separator = line.rstrip().upper()  # top level only: not indented
        if separator in ("UNION", "UNION ALL"):
            distinct = distinct or separator == "UNION"
            chunks.append([])
        else:
            chunks[-1].append(line)
    return ["\n".join(c) for c in chunks], distinct


def header_list(text: str, key: str) -> list[str]:
    """A comma-separated header value (`// order: a, b`), empty when absent."""
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        name, _, value = line[2:].strip().partition(":")
        if name.strip() == key:
            return [v.strip() for v in value.split(",") if v.strip()]
    return []


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def sort_key(value: Any) -> tuple:
    """Neo4j's ascending order as far as kg needs it: nulls last, numbers before
    strings, lists element by element."""
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


def order_rows(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    if not columns:
        return rows
    return sorted(rows, key=lambda row: tuple(sort_key(row.get(c)) for c in columns))


def run(store: QueryRunner, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a (possibly union) .cypher file, ordered by its `// order:` header; the
    columns its `// sets:` header names hold collect()ed lists, whose order no engine
    keeps: they are sorted."""
    statements, distinct = parts(text)
    sets = header_list(text, "sets")
    rows: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for statement in statements:
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
    return order_rows(rows, header_list(text, "order"))
