"""The store interface every engine implements, and the parts of a write they share.

A store keeps the graph of loaded repositories and answers read queries. `kg` talks to
it only through `Store`: the CLI (`load`, `db status`), the questions (`kg.questions`)
and the export (`kg.export`). An engine implements the abstract methods; `write()` is
the same for every engine (load tag, timing, the log line, the result) and calls the
engine's `_write_scope()` for the engine-specific part.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kg.errors import DatabaseError
from kg.graphdoc import GraphDoc

if TYPE_CHECKING:
    from kg.loaders.status import StatusLayer

log = logging.getLogger("kg.store")

# A load still waiting for a lock after this long says so (log warning).
WAIT_NOTICE_SECONDS = 2.0

Row = dict[str, Any]


class QueryTimeout(DatabaseError):
    """A bounded read (`Store.query_limited`) ran past its timeout and was stopped."""


class QueryRunner(Protocol):
    """What running a query needs: a store, or a test double."""

    def query(self, text: str, params: dict[str, Any] | None = None) -> list[Row]: ...


@dataclass
class WriteResult:
    """What a write did (the CLI prints it; `kg load --format json` shows it)."""

    load_tag: str
    nodes: int
    relationships: int
    swept: dict[str, int] = field(default_factory=lambda: {"nodes": 0, "relationships": 0})
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_tag": self.load_tag,
            "nodes": self.nodes,
            "relationships": self.relationships,
            "swept": self.swept,
            "seconds": self.seconds,
        }


def new_load_tag() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def loaded_at() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def wait_notice(message: str, *args: Any) -> Iterator[None]:
    """Log `message` as a warning when the block (waiting for a lock) lasts longer than
    WAIT_NOTICE_SECONDS."""
    notice = threading.Timer(WAIT_NOTICE_SECONDS, log.warning, [message, *args])
    notice.daemon = True
    notice.start()
    try:
        yield
    finally:
        notice.cancel()


class Store(ABC):
    """A graph engine. Read queries take the files of cypher/ask, cypher/export and
    cypher/lookup unchanged; writes replace one scope (a repository, or some of its
    clusters) atomically."""

    engine: str  # "neo4j", "embedded": `kg db status`, `kg load --format json`
    # True when a labelled node pattern may only read its own label's declared
    # properties (Ladybug: a binder error, not null). Questions then leave their target
    # unlabelled (kg.questions.answer).
    labels_bind_properties: bool = False

    # -- life cycle ------------------------------------------------------------
    @abstractmethod
    def describe(self) -> str:
        """Where the graph is, for messages: "Neo4j at bolt://..." / "the embedded graph ..."."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -----------------------------------------------------------------
    @abstractmethod
    def query(self, text: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run one read statement; rows as dicts (nodes become property dicts, paths
        kg.evidence.PathTokens)."""

    @abstractmethod
    def query_limited(
        self, text: str, params: dict[str, Any] | None = None, *, max_rows: int, timeout: float
    ) -> tuple[list[Row], bool]:
        """Run one read statement someone typed (`kg mcp`'s kg_cypher) in a read-only
        transaction, stopped after `timeout` seconds (QueryTimeout); at most `max_rows`
        rows, and whether more were left out. Values as `query` gives them."""

    @abstractmethod
    def verify(self) -> None:
        """Fail fast with a KgError when the graph cannot be read."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """engine, address, database, server, nodes, relationships, repos (`kg db status`)."""

    # -- writes ----------------------------------------------------------------
    @abstractmethod
    def check_writable(self) -> None:
        """Fail fast (before a long rendering) when a write would be refused."""

    @abstractmethod
    def ensure_schema(self) -> None:
        """Whatever the engine needs before a write (idempotent)."""

    @abstractmethod
    def delete_repo(self, repo: str) -> None:
        """Remove everything the loads of a repository wrote (the tests use it)."""

    @abstractmethod
    def _write_scope(
        self, gd: GraphDoc, repo: str, clusters: list[str] | None, repo_props: dict[str, Any], tag: str
    ) -> dict[str, int]:
        """Replace the scope with the GraphDoc, every record tagged `tag`; the Repo node
        also gets `repo_props`. Returns the stale nodes and relationships swept."""

    @abstractmethod
    def _write_status(self, layer: StatusLayer, tag: str) -> None:
        """Replace the cluster's status layer (its StatusSnapshot and LiveStatus nodes,
        their STATUS_OF relationships) with `layer`, atomically; the repository's graph is
        not touched."""

    def write_status(self, layer: StatusLayer) -> dict[str, Any]:
        """Write a cluster's status snapshot over its previous one, atomically: readers see
        the old snapshot or the new one, and a failure leaves the old one."""
        tag = new_load_tag()
        start = time.perf_counter()
        self._write_status(layer, tag)
        seconds = time.perf_counter() - start
        links = sum(len(r.targets) for r in layer.records)
        log.info(
            "wrote the status of cluster %s (%d records, %d links) into %s in %.1f s",
            layer.cluster,
            len(layer.records),
            links,
            self.describe(),
            seconds,
        )
        return {
            "cluster": layer.cluster, "records": len(layer.records), "links": links, "seconds": seconds,
            "load_tag": tag,
        }  # fmt: skip

    def status_snapshots(self) -> list[Row]:
        """The status snapshots loaded, one per cluster (`kg db status`)."""
        from kg import cypher_files

        return self.query(cypher_files.text("db/status_snapshots.cypher"))

    def write(
        self, gd: GraphDoc, repo: str, clusters: list[str] | None, repo_props: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Write a GraphDoc for one scope (a repo, or some of its clusters) atomically:
        what lies outside the scope stays, what the previous load of the scope wrote and
        this one did not is swept; a failure leaves the previous graph as it was."""
        tag = new_load_tag()
        start = time.perf_counter()
        swept = self._write_scope(gd, repo, clusters, dict(repo_props or {}, loaded_at=loaded_at()), tag)
        result = WriteResult(tag, len(gd.nodes), len(gd.rels), swept, time.perf_counter() - start)
        log.info(
            "wrote %d nodes and %d relationships of %s into %s in %.1f s (load tag %s); swept %d stale node(s), "
            "%d relationship(s)",
            result.nodes,
            result.relationships,
            repo,
            self.describe(),
            result.seconds,
            tag,
            swept["nodes"],
            swept["relationships"],
        )
        return result.as_dict()
