"""Connection settings: CLI options override environment variables, which override
the defaults (those of scripts/neo4j-local and docker-compose.yml).

Engine: `--engine`/KG_ENGINE names it; otherwise Neo4j when an address is configured
(NEO4J_URI or --uri), else the embedded graph file (KG_GRAPH, default ./.kg/graph)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kg.errors import UsageError

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "kg-password"
DEFAULT_GUIDE_PORT = 7480  # `kg browser --serve`
DEFAULT_GRAPH = Path(".kg") / "graph"
ENGINES = ("embedded", "neo4j")


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str
    user: str
    password: str
    database: str | None  # None: the server's default database

    @classmethod
    def resolve(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> Neo4jSettings:
        env = os.environ
        return cls(
            uri=uri or env.get("NEO4J_URI") or DEFAULT_URI,
            user=user or env.get("NEO4J_USER") or DEFAULT_USER,
            password=password or env.get("NEO4J_PASSWORD") or DEFAULT_PASSWORD,
            database=database or env.get("NEO4J_DATABASE") or None,
        )

    def describe(self) -> str:
        return f"Neo4j at {self.uri}" + (f" (database {self.database})" if self.database else "")


@dataclass(frozen=True)
class EmbeddedSettings:
    path: Path  # the graph file

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None) -> EmbeddedSettings:
        return cls(Path(path or os.environ.get("KG_GRAPH") or DEFAULT_GRAPH))

    def describe(self) -> str:
        return f"the embedded graph {self.path}"


def chart_cache_dir(engine: str | None = None, graph: str | None = None, uri: str | None = None) -> Path:
    """Where fetched Helm charts are kept: KG_CHART_CACHE, else `charts/` beside the
    embedded graph file (./.kg/charts when the graph is in Neo4j)."""
    if os.environ.get("KG_CHART_CACHE"):
        return Path(os.environ["KG_CHART_CACHE"])
    if resolve_engine(engine, uri) == "embedded":
        return EmbeddedSettings.resolve(graph).path.parent / "charts"
    return Path(DEFAULT_GRAPH).parent / "charts"


def render_cache_dir(engine: str | None = None, graph: str | None = None, uri: str | None = None) -> Path:
    """Where kustomize builds are kept across loads (KG_RENDER_CACHE overrides it, in the
    loaders): `render-cache/` beside the embedded graph file (./.kg/render-cache with Neo4j)."""
    if resolve_engine(engine, uri) == "embedded":
        return EmbeddedSettings.resolve(graph).path.parent / "render-cache"
    return Path(DEFAULT_GRAPH).parent / "render-cache"


def resolve_engine(engine: str | None = None, uri: str | None = None) -> str:
    """The engine to use: named (option or KG_ENGINE), else neo4j when an address is set."""
    chosen = (engine or os.environ.get("KG_ENGINE") or "").strip().lower()
    if chosen:
        if chosen not in ENGINES:
            raise UsageError(f"unknown engine {chosen!r}: use one of {', '.join(ENGINES)} (--engine or KG_ENGINE)")
        return chosen
    return "neo4j" if (uri or os.environ.get("NEO4J_URI")) else "embedded"
