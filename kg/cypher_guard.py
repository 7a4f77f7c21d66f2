"""Read-only Cypher, checked before it reaches a database: `kg mcp`'s kg_cypher runs
queries an AI assistant wrote, so anything that could write, read files or change the
connection is refused here with a message saying why. This is the first of three
fences; the store adds the second (Neo4j: a READ access mode transaction; embedded: the
file opened read-only) and a timeout.

The check reads the text as tokens: comments, string literals and `quoted` names are
skipped, so `WHERE n.name = 'CREATE'` passes and `MATCH (n) /* x */ DETACH DELETE n`
does not. Words used as property keys (`n.set`), parameters (`$create`), labels
(`:Merge`) and map keys (`{delete: 1}`) are not clauses.
"""

from __future__ import annotations

import re

# Clauses and commands that write, administer, or read outside the graph, in either
# engine's dialect (Neo4j: LOAD CSV, FOREACH, admin commands; Ladybug: COPY, LOAD FROM,
# INSTALL/LOAD extensions, ATTACH, EXPORT/IMPORT DATABASE, CHECKPOINT, transactions).
REFUSED_WORDS = frozenset({
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "ALTER", "RENAME",
    "GRANT", "DENY", "REVOKE", "LOAD", "COPY", "FOREACH", "INSTALL", "ATTACH", "IMPORT",
    "EXPORT", "CHECKPOINT", "BEGIN", "COMMIT", "ROLLBACK", "TERMINATE",
})  # fmt: skip

# Procedures that only describe the graph. Any other CALL is refused: procedures may
# write (apoc.create.*), and Ladybug's `CALL setting=value` changes the connection.
READ_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
    "show_tables", "table_info", "show_connection", "db_version",
})  # fmt: skip

_TOKEN = re.compile(
    r"""(?P<skip>//[^\n]*|/\*.*?\*/|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"""
    r"""|(?P<other>\S)""",
    re.DOTALL,
)


class RefusedQuery(ValueError):
    """The text is not a single read-only statement; the message says what to change."""


def _tokens(text: str) -> list[str]:
    """Words and punctuation, without comments, strings and quoted names (which become
    a neutral placeholder: they still separate words)."""
    found = []
    for match in _TOKEN.finditer(text):
        if match.group("skip") is not None:
            found.append("''")
        else:
            found.append(match.group(0))
    unterminated = re.search(r"/\*(?!.*\*/)", text, re.DOTALL)
    if unterminated:
        raise RefusedQuery("the query has an unterminated /* comment")
    return found


def check_read_only(text: str) -> None:
    """Raise RefusedQuery unless `text` is one statement that only reads the graph."""
    if not text.strip():
        raise RefusedQuery("the query is empty")
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == ";" and any(t != ";" for t in tokens[i + 1 :]):
            raise RefusedQuery("one statement at a time: the query holds several (separated by ';')")
        if not token[0].isalpha() and token[0] != "_":
            continue
        word = token.upper()
        if before in (".", "$", ":") or after == ":":
            continue  # a property key, parameter, label or map key
        first = word.split(".")[0]
        if first in REFUSED_WORDS:
            raise RefusedQuery(
                f"kg_cypher only reads: {first} is refused (the graph is rebuilt by `kg load`, never edited by hand)"
            )
        if word == "TRANSACTIONS" and before.upper() == "IN":
            raise RefusedQuery("kg_cypher only reads: CALL { ... } IN TRANSACTIONS is refused")
        if word == "CALL" and after not in ("{", "("):
            procedure = after.lower()
            if procedure not in READ_PROCEDURES:
                allowed = ", ".join(sorted(READ_PROCEDURES))
                raise RefusedQuery(
                    f"kg_cypher only reads: CALL {after or '...'} is refused; the procedures it allows: {allowed}"
                )
