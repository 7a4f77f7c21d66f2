"""Graph stores: Neo4j (the reference engine, shared graphs and Browser) and the
embedded LadybugDB file (no server). Both run the same .cypher files."""

from __future__ import annotations

from typing import Any

from kg.config import EmbeddedSettings, Neo4jSettings, resolve_engine

from .base import QueryRunner, Store, WriteResult


def open_store(
    engine: str | None = None,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    graph: str | None = None,
) -> Store:
    """The store the options and environment select (see kg.config.resolve_engine)."""
    if resolve_engine(engine, uri) == "neo4j":
        from .neo4j_store import Neo4jStore

        return Neo4jStore(Neo4jSettings.resolve(uri, user, password, database))
    from .embedded_store import EmbeddedStore

    return EmbeddedStore(EmbeddedSettings.resolve(graph))


__all__ = ["open_store", "QueryRunner", "Store", "WriteResult", "Neo4jStore", "EmbeddedStore"]


def __getattr__(name: str) -> Any:
    # the stores import their engine's driver: only when used
    if name == "Neo4jStore":
        from .neo4j_store import Neo4jStore

        return Neo4jStore
    if name == "EmbeddedStore":
        from .embedded_store import EmbeddedStore

        return EmbeddedStore
    raise AttributeError(name)
