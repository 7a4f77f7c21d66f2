"""The Neo4j store: connection with readable errors, idempotent schema, atomic
scoped writes of a GraphDoc, and read queries for `kg ask` / `kg export`."""

from __future__ import annotations

import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import neo4j
from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_errors

from kg import cypher_files
from kg.config import Neo4jSettings
from kg.errors import (
    ConnectionLost,
    DatabaseAuthError,
    DatabaseBusy,
    DatabaseError,
    DatabaseNotFound,
    DatabaseReadOnly,
    DatabaseUnavailable,
)
from kg.evidence import path_tokens
from kg.graphdoc import GraphDoc
from kg.schema import NODE_TYPES, label_for_kind

if TYPE_CHECKING:
    from kg.loaders.status import StatusLayer

from .base import QueryTimeout, Row, Store, wait_notice
from .pause import pause_for_tests

BATCH_SIZE = 1000
# How long the driver retries a transaction that failed with a transient error (lock
# timeout, deadlock, leader switch, lost connection), with exponential backoff.
DEFAULT_RETRY_SECONDS = 30.0
# Neo4j codes meaning "you may not write here": a read-only database, a read-only user
# (Enterprise: Security.Forbidden), a write in a read session.
_READ_ONLY_CODES = (
    "WriteOnReadOnlyAccessDatabase",
    "ForbiddenOnReadOnlyDatabase",
    "Security.Forbidden",
    "Statement.AccessMode",
)

log = logging.getLogger("kg.store")
# The driver logs its retries as warnings; kg reports failures itself, in one line
# (`kg load -v` shows the retries: see kg.cli._setup_logging).
_driver_log = logging.getLogger("neo4j")
_driver_log.addHandler(logging.NullHandler())
_driver_log.propagate = False


class _TooBig(Exception):
    """The server refused the load's transaction memory: retrying cannot help, so this
    leaves the driver's retry loop at once (it only retries driver errors)."""


# what to raise when the server refuses a load's transaction memory
TRANSACTION_MEMORY_SETTINGS = (
    "server.memory.heap.max_size, or dbms.memory.transaction.total.max; KG_NEO4J_HEAP for scripts/neo4j-local"
)


def _retry_seconds() -> float:
    try:
        return float(os.environ.get("KG_NEO4J_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return text.strip().splitlines()[0]


@contextlib.contextmanager
def translate_errors(settings: Neo4jSettings, writing: bool = False) -> Iterator[None]:
    """Turn driver exceptions into one-line KgErrors that name the server. `writing`:
    inside a load's write transaction, where a failure means it was rolled back."""
    rolled_back = " The load was rolled back: the graph is as it was before it." if writing else ""
    try:
        yield
    except neo4j_errors.IncompleteCommit:
        # the connection broke while the server was committing: it may have committed
        raise ConnectionLost(
            f"lost the connection to Neo4j at {settings.uri} while the load was committing: it may or may not "
            "have been applied (never half). Run it again: a load of unchanged input changes nothing."
        ) from None
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
        if not writing:
            raise DatabaseUnavailable(
                f"cannot reach Neo4j at {settings.uri} ({_connection_reason(exc)}) "
                "(start it with `scripts/neo4j-local start` or `docker compose up -d`, or set NEO4J_URI)"
            ) from None
        raise ConnectionLost(
            f"lost the connection to Neo4j at {settings.uri} during the load ({_connection_reason(exc)}), "
            f"still failing after {_retry_seconds():g} s of retries.{rolled_back}"
        ) from None
    except neo4j_errors.AuthError as exc:
        raise DatabaseAuthError(
            f"Neo4j at {settings.uri} refused the credentials of user {settings.user!r} "
            f"(set NEO4J_USER/NEO4J_PASSWORD or --user/--password): {_first_line(exc)}"
        ) from None
    except neo4j_errors.ConfigurationError:
        raise DatabaseUnavailable(
            f"invalid Neo4j address {settings.uri!r}: use bolt://host:port or neo4j://host:port (+s/+ssc for TLS)"
        ) from None
    except neo4j_errors.Neo4jError as exc:
        code = getattr(exc, "code", "") or ""
        if "DatabaseNotFound" in code:
            raise DatabaseNotFound(
                f"database {settings.database!r} does not exist on Neo4j at {settings.uri} (set NEO4J_DATABASE or --database)"
            ) from None
        if any(c in code for c in _READ_ONLY_CODES):
            raise DatabaseReadOnly(
                f"Neo4j at {settings.uri} refuses to write to {_database_name(settings)}: {_first_line(exc)} "
                "(read-only database or user; nothing was written)"
            ) from None
        if "MemoryPoolOutOfMemoryError" in code:  # at commit (inside the work: _TooBig)
            raise DatabaseError(
                f"Neo4j at {settings.uri} refused the memory this transaction needs ({_first_line(exc)}).{rolled_back} "
                f"Give the server more ({TRANSACTION_MEMORY_SETTINGS}), or load one cluster at a time "
                "(kg load REPO --cluster NAME)"
            ) from None
        if isinstance(exc, neo4j_errors.TransientError):
            raise DatabaseBusy(
                f"Neo4j at {settings.uri} kept failing with a transient error after {_retry_seconds():g} s of retries "
                f"({code.rsplit('.', 1)[-1] or 'TransientError'}: {_first_line(exc)}).{rolled_back} "
                "Try again later (KG_NEO4J_RETRY_SECONDS sets how long kg retries)"
            ) from None
        if "Security" in code:
            raise DatabaseError(f"Neo4j at {settings.uri} refused the operation: {_first_line(exc)}") from None
        raise DatabaseError(f"Neo4j error {code}: {_first_line(exc)}") from None
    except neo4j_errors.DriverError as exc:
        raise DatabaseUnavailable(f"Neo4j at {settings.uri}: {_first_line(exc)}") from None
    except (OSError, ValueError) as exc:
        # the driver raises plain ValueError for malformed URIs
        raise DatabaseUnavailable(f"cannot use Neo4j at {settings.uri}: {_first_line(exc)}") from None


def _database_name(settings: Neo4jSettings) -> str:
    return f"database {settings.database!r}" if settings.database else "the default database"


def _connection_reason(exc: BaseException) -> str:
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host"),
        ("Temporary failure in name resolution", "unknown host"),
    ):
        if needle in text:
            return reason
    return _first_line(exc).rstrip(":")


def _plain(value: Any) -> Any:
    """Driver values -> plain Python (nodes to property dicts, paths to PathTokens)."""
    if value is None or isinstance(value, (str, int, float)):
        return value  # most values: checked first
    if isinstance(value, neo4j.graph.Node):
        return dict(value)
    if isinstance(value, neo4j.graph.Path):
        steps = list(zip(value.nodes, value.relationships))
        return path_tokens(
            list(value.nodes),  # type: ignore[arg-type]  # a driver Node reads as a mapping
            [rel.start_node.element_id == node.element_id for node, rel in steps],  # type: ignore[union-attr]
            [rel.type for _, rel in steps],
        )
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Neo4jStore(Store):
    engine = "neo4j"
    labels_bind_properties = False  # any node may carry any property

    def __init__(self, settings: Neo4jSettings):
        self.settings = settings
        self._verified = False
        with translate_errors(settings):
            self.driver = GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                connection_timeout=5.0,
                max_transaction_retry_time=_retry_seconds(),
                # server notifications (deprecations, hints) are for query authors, not users
                notifications_min_severity="OFF",
            )

    def describe(self) -> str:
        return self.settings.describe()

    def close(self) -> None:
        self.driver.close()

    def _session(self, read: bool = False) -> neo4j.Session:
        if not self._verified:
            self.verify()
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self.driver.session(database=self.settings.database, default_access_mode=mode)

    # -- reads -----------------------------------------------------------------
    def query(self, text: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a read query; rows as dicts (nodes become property dicts, paths PathTokens)."""

        def work(tx: neo4j.ManagedTransaction) -> list[Row]:
            result = tx.run(text, params or {})
            return [{k: _plain(v) for k, v in record.items()} for record in result]  # type: ignore[no-untyped-call]

        with translate_errors(self.settings), self._session(read=True) as session:
            return session.execute_read(work)

    def query_limited(
        self, text: str, params: dict[str, Any] | None = None, *, max_rows: int, timeout: float
    ) -> tuple[list[Row], bool]:
        """A read in a READ access mode session (the server refuses writes there) with a
        server-side transaction timeout; the rows past `max_rows` are never fetched."""

        @neo4j.unit_of_work(timeout=timeout)
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[Row], bool]:
            rows: list[Row] = []
            for record in tx.run(text, params or {}):
                if len(rows) == max_rows:
                    return rows, True  # the driver discards the rest of the stream
                rows.append({k: _plain(v) for k, v in record.items()})  # type: ignore[no-untyped-call]
            return rows, False

        try:
            with translate_errors(self.settings), self._session(read=True) as session:
                return session.execute_read(work)
        except DatabaseError as exc:
            if "TransactionTimedOut" in str(exc):
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
            raise

    def verify(self) -> None:
        """Fail fast and clearly (no retries) when the server, credentials or database are wrong."""
        with translate_errors(self.settings):
            self.driver.verify_connectivity()
            self._verified = True
            with self._session(read=True) as session:
                session.run("RETURN 1").consume()

    def check_writable(self) -> None:
        """Fail fast (before a long rendering) when the database is read-only. Servers
        that do not let this user list databases are not refused here: the write
        itself would then report it."""
        if not self._verified:
            self.verify()
        with translate_errors(self.settings):
            try:
                with self.driver.session(database="system", default_access_mode=neo4j.READ_ACCESS) as session:
                    rows = session.run(cypher_files.text("db/databases.cypher")).data()
            except neo4j_errors.ClientError:
                return
        wanted = [r for r in rows if (r["name"] == self.settings.database if self.settings.database else r["home"])]
        if wanted and wanted[0]["access"] == "read-only":
            raise DatabaseReadOnly(
                f"Neo4j at {self.settings.uri} serves {_database_name(self.settings)} read-only: kg load cannot write to it "
                "(nothing was written)"
            )

    def status(self) -> dict[str, Any]:
        components = self.query(cypher_files.text("db/components.cypher"))
        return {
            "engine": self.engine,
            "address": self.settings.uri,
            "database": self.settings.database or "(server default)",
            "server": components[0] if components else {},
            "nodes": {r["label"]: r["count"] for r in self.query(cypher_files.text("db/node_counts.cypher"))},
            "relationships": {
                r["type"]: r["count"] for r in self.query(cypher_files.text("db/relationship_counts.cypher"))
            },
            "repos": self.query(cypher_files.text("db/repos.cypher")),
            "status_snapshots": self.status_snapshots(),
        }

    # -- writes ----------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Constraints and indexes, created idempotently (IF NOT EXISTS)."""
        statements = []
        for label in NODE_TYPES:
            for path in ("store/constraint_id.cypher", "store/index_name.cypher", "store/index_scope.cypher"):
                statements.append(cypher_files.load(path).fill(label=label))
        statements.append(cypher_files.text("store/index_workload_service.cypher"))
        with translate_errors(self.settings), self._session() as session:
            for statement in statements:
                session.run(statement).consume()

    def _write_scope(
        self, gd: GraphDoc, repo: str, clusters: list[str] | None, repo_props: dict[str, Any], tag: str
    ) -> dict[str, int]:
        """Upsert everything with the load tag, then sweep what the previous load of the
        same scope wrote and this one did not, all in one transaction. A failure anywhere
        rolls back and leaves the previous graph as it was."""
        node_batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for node in gd.sorted_nodes():
            props = dict(node.props, load_tag=tag)
            if node.label == "Repo":
                props.update(repo_props)
            node_batches[node.label].append({"id": node.id, "props": props})
        rel_batches: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for rel in gd.sorted_rels():
            props = dict(rel.props, rel_key=rel.rel_key, load_tag=tag)
            rel_batches[(rel.type, rel.start_label, rel.end_label)].append(
                {"start": rel.start, "end": rel.end, "rel_key": rel.rel_key, "props": props}
            )

        swept = {"nodes": 0, "relationships": 0}

        def run(tx: neo4j.ManagedTransaction, statement: str, **params: Any) -> neo4j.SummaryCounters:
            try:
                return tx.run(statement, params).consume().counters
            except neo4j_errors.TransientError as exc:
                if "MemoryPoolOutOfMemoryError" in (exc.code or ""):
                    raise _TooBig(_first_line(exc)) from None
                raise

        def work(tx: neo4j.ManagedTransaction) -> None:
            # 1. the repository's lock (see cypher/store/lock_repo.cypher); say so when waiting
            with wait_notice("waiting for another load of repository %r to finish (Neo4j holds its lock)", repo):
                run(tx, cypher_files.text("store/lock_repo.cypher"), repo=repo, tag=tag)
            # 2. upsert everything with the new tag
            for label, rows in node_batches.items():
                statement = cypher_files.load("store/merge_nodes.cypher").fill(label=label)
                for i in range(0, len(rows), BATCH_SIZE):
                    run(tx, statement, rows=rows[i : i + BATCH_SIZE])
                log.debug("merged %d %s node(s)", len(rows), label)
            pause_for_tests("write")
            for (rel_type, start_label, end_label), rows in rel_batches.items():
                statement = cypher_files.load("store/merge_rels.cypher").fill(
                    type=rel_type, start_label=start_label, end_label=end_label
                )
                for i in range(0, len(rows), BATCH_SIZE):
                    run(tx, statement, rows=rows[i : i + BATCH_SIZE])
                log.debug("merged %d %s relationship(s) %s->%s", len(rows), rel_type, start_label, end_label)
            pause_for_tests("sweep")
            # 3. sweep what the previous load of this scope wrote and this one did not
            scope = {"repo": repo, "clusters": clusters, "tag": tag}
            swept.update(nodes=0, relationships=0)  # a retried transaction starts again
            for label in NODE_TYPES:
                swept["relationships"] += run(
                    tx, cypher_files.load("store/sweep_rels.cypher").fill(label=label), **scope
                ).relationships_deleted
            for label in NODE_TYPES:
                counters = run(tx, cypher_files.load("store/sweep_nodes.cypher").fill(label=label), **scope)
                swept["nodes"] += counters.nodes_deleted
                swept["relationships"] += counters.relationships_deleted

        try:
            with translate_errors(self.settings, writing=True), self._session() as session:
                session.execute_write(work)
        except _TooBig as exc:
            raise DatabaseError(
                f"Neo4j at {self.settings.uri} refused the memory this load's single transaction needs "
                f"({len(gd.nodes)} nodes, {len(gd.rels)} relationships): {exc}. The load was rolled back. Give the server more "
                f"({TRANSACTION_MEMORY_SETTINGS}), or load one cluster at a time (kg load REPO --cluster NAME)"
            ) from None
        return swept

    def _write_status(self, layer: StatusLayer, tag: str) -> None:
        """In one transaction: lock the cluster's snapshot node, delete its LiveStatus
        nodes, create the new ones and link them (a failure rolls all of it back)."""
        rows = [{"props": dict(r.props, load_tag=tag)} for r in layer.records]
        links: dict[str, list[dict[str, str]]] = defaultdict(list)
        for record in layer.records:
            for target in record.targets:
                label = label_for_kind(target.label) or target.label
                links[label].append({"start": record.id, "end": target.id, "tag": tag})
        snapshot_id = layer.snapshot["id"]

        def work(tx: neo4j.ManagedTransaction) -> None:
            with wait_notice("waiting for another status load of cluster %r to finish", layer.cluster):
                tx.run(cypher_files.text("status/lock_snapshot.cypher"), id=snapshot_id, tag=tag).consume()
            tx.run(cypher_files.text("status/delete_snapshot.cypher"), cluster=layer.cluster, repo=layer.repo).consume()
            snapshot = dict(layer.snapshot, load_tag=tag)
            tx.run(cypher_files.text("status/write_snapshot.cypher"), id=snapshot_id, props=snapshot).consume()
            for i in range(0, len(rows), BATCH_SIZE):
                tx.run(cypher_files.text("status/create_status.cypher"), rows=rows[i : i + BATCH_SIZE]).consume()
            for label, batch in sorted(links.items()):
                statement = cypher_files.load("status/link_status.cypher").fill(label=label)
                for i in range(0, len(batch), BATCH_SIZE):
                    tx.run(statement, rows=batch[i : i + BATCH_SIZE]).consume()

        self.ensure_schema()
        with translate_errors(self.settings, writing=True), self._session() as session:
            session.execute_write(work)

    def delete_repo(self, repo: str) -> None:
        with translate_errors(self.settings), self._session() as session:
            session.run(cypher_files.text("store/delete_repo.cypher"), repo=repo).consume()
