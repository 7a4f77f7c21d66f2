"""Access to the query texts shipped in cypher/ (mapped to the `kg.cypher` package)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from kg.schema import check_identifier


@lru_cache(maxsize=None)
def read(relative_path: str) -> str:
    """The text of a .cypher file, e.g. read("ask/where.cypher")."""
    return resources.files("kg.cypher").joinpath(relative_path).read_text(encoding="utf-8")


def template(relative_path: str, **names: str) -> str:
    """A statement template with schema names filled in. Only labels and relationship
    types of the schema are accepted: labels cannot be query parameters in Cypher, and
    nothing a user typed may ever reach the query text."""
    text = read(relative_path)
    for placeholder, value in names.items():
        text = text.replace("{" + placeholder + "}", check_identifier(value))
    return text


def listing(folder: str) -> list[str]:
    """Names (without extension) of the .cypher files in a folder, sorted."""
    base = resources.files("kg.cypher").joinpath(folder)
    return sorted(p.name[: -len(".cypher")] for p in base.iterdir() if p.name.endswith(".cypher"))


def table_ddl(relative_path: str, columns: list[tuple[str, str]], pairs: list[tuple[str, str]] = (), **names: str) -> str:
    """A table declaration for the embedded engine: {columns} ("name TYPE, ...") and
    {pairs} ("FROM A TO B, ...") are built here from schema names and schema types only."""
    from kg.schema import property_type

    owner = names.get("label") or names.get("type")
    for column, column_type in columns:
        if not column.isidentifier() or property_type(column, owner) != column_type:
            raise ValueError(f"column {column!r} {column_type!r} is not a schema property")
    text = template(relative_path, **names)
    text = text.replace("{columns}", ", ".join(f"`{c}` {t}" for c, t in columns))
    return text.replace("{pairs}", ", ".join(f"FROM {check_identifier(a)} TO {check_identifier(b)}" for a, b in pairs))
