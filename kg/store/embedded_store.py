"""The embedded store: the graph in one LadybugDB file (default ./.kg/graph), queried
in-process with the same .cypher files as Neo4j.

Ladybug wants typed tables declared up front (generated from kg/schema.py) and loads
fastest with COPY (here from CSV files kg writes) into a fresh database, so a load builds a new
database file beside the old one (the old graph outside the load's scope, plus the
new records), then renames it over the old one: readers see the old graph or the new
one, never half of it, and a load that dies leaves the old file untouched. One lock
file serialises loads; reads open the file read-only and never wait for a load.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import sys
import types
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg import cypher_files
from kg.config import EmbeddedSettings
from kg.errors import DatabaseError, DatabaseReadOnly, DatabaseUnavailable, KgError
from kg.evidence import path_tokens
from kg.graphdoc import GraphDoc
from kg.schema import (
    BOOLEAN,
    INT64,
    NODE_TYPES,
    REL_TYPES,
    STRING,
    STRING_LIST,
    check_identifier,
    label_for_kind,
    node_properties,
    property_type,
    rel_properties,
)  # fmt: skip

if TYPE_CHECKING:
    from kg.loaders.status import StatusLayer

from .base import QueryTimeout, Row, Store, wait_notice
from .pause import pause_for_tests

# Neo4j never repeats a relationship within a path (trail semantics); Ladybug's
# variable-length patterns are walks by default. Every connection is set to trails
# (cypher/embedded/trails.cypher): a dependsOn cycle then gives the rows Neo4j gives,
# and a branching one does not explode into endless walks. The query files stay as
# they are.

# Records keep the loader's property dicts as they are, with the few values a load adds
# beside them (load tag, rel_key): no copy of every property of a large graph.
NodeRecord = tuple[str, dict[str, Any], dict[str, Any]]  # label, properties, added
RelKey = tuple[str, str, str, str]  # type, start id, end id, rel_key
RelRecord = tuple[str, str, dict[str, Any], dict[str, Any]]  # start label, end label, properties, added
NOTHING_ADDED: dict[str, Any] = {}


class StatusTablesMissing(DatabaseError):
    """The graph file predates the status layer (kg status load) or the settings: their tables are absent."""


class PoolFull(DatabaseError):
    """A query filled the connection's buffer pool."""


class NothingLoaded(KgError):
    """No graph file yet: nothing was loaded with this engine."""

    exit_code = 1


# Ladybug's package imports its AsyncConnection, and with it asyncio and ssl, which kg
# never uses: ~15-25 ms of every question's start (issue 21, start-up). kg imports the
# package with that one module held back; importing it later still loads the real one.
_ASYNC_MODULE = "ladybug.async_connection"


def _ladybug() -> Any:
    if "ladybug" in sys.modules or "asyncio" in sys.modules:
        return _import_ladybug()
    placeholder = types.ModuleType(_ASYNC_MODULE)
    placeholder.AsyncConnection = None  # type: ignore[attr-defined]
    sys.modules[_ASYNC_MODULE] = placeholder
    try:
        ladybug = _import_ladybug()
    finally:
        if sys.modules.get(_ASYNC_MODULE) is placeholder:
            del sys.modules[_ASYNC_MODULE]
    if getattr(ladybug, "AsyncConnection", 0) is None:
        del ladybug.AsyncConnection
    return ladybug


def _import_ladybug() -> Any:
    try:
        import ladybug
    except ImportError:  # pragma: no cover - a dependency of the package
        raise DatabaseUnavailable("the embedded engine needs the `ladybug` package: pip install ladybug") from None
    return ladybug


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def _plain(value: Any) -> Any:
    """Ladybug values -> what the Neo4j store returns: nodes and relationships as
    property dicts (absent properties left out), paths as PathTokens."""
    if isinstance(value, dict):
        if "_NODES" in value and "_RELS" in value:
            nodes, rels = value["_NODES"], value["_RELS"]
            if any(n.get("_ID") is None for n in nodes) or any(r.get("_LABEL") is None for r in rels):
                return None  # an OPTIONAL MATCH path that matched nothing (Neo4j: null)
            return path_tokens(
                # a path's text names each node by kind and name: its other properties
                # (every property of every label its ends may have) are not copied
                [{"kind": n.get("kind"), "name": n.get("name")} for n in nodes],
                [rel["_SRC"] == node["_ID"] for node, rel in zip(nodes, rels)],
                [rel["_LABEL"] for rel in rels],
            )
        if "_LABEL" in value:
            return {k: v for k, v in value.items() if not k.startswith("_") and v is not None}
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_plain(v) for v in value]
        # collect() of optional paths: Neo4j's collect skips nulls
        return [v for v in items if v is not None] if any(_is_path(v) for v in value) else items
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _is_path(value: Any) -> bool:
    return isinstance(value, dict) and "_NODES" in value and "_RELS" in value


def _columns(owner: str, properties: tuple[str, ...]) -> str:
    """`name TYPE, ...` of a table: schema properties with their schema types only."""
    for column in properties:
        if not column.isidentifier():
            raise ValueError(f"column {column!r} of {owner} is not an identifier")
    return ", ".join(f"`{p}` {property_type(p, owner)}" for p in properties)


def table_statements() -> list[str]:
    """The typed DDL of the whole schema: a node table per label, a relationship table
    per type with every (from, to) pair the schema allows."""
    node_table, rel_table = (
        cypher_files.load("embedded/node_table.cypher"),
        cypher_files.load("embedded/rel_table.cypher"),
    )
    statements = [
        node_table.fill({"columns": _columns(label, node_properties(label))}, label=label) for label in NODE_TYPES
    ]
    for rel_type, rel in REL_TYPES.items():
        pairs = ", ".join(
            f"FROM {check_identifier(a)} TO {check_identifier(b)}" for a in rel.sources for b in rel.targets
        )
        columns = _columns(rel_type, rel_properties(rel_type))
        statements.append(rel_table.fill({"columns": columns, "pairs": pairs}, type=rel_type))
    return statements


# Bounds of a load's write (see EmbeddedStore._build): rows per relationship COPY, and what may be
# written before a commit; Ladybug holds a transaction's COPYs in memory until then.
COPY_ROWS = 20_000
COPIES_PER_COMMIT = 2
ROWS_PER_COMMIT = 30_000
MB = 2**20


# Ladybug's buffer pool defaults to 80% of RAM, and it keeps bookkeeping per page of
# the pool, used or not (~40 MB on a 24 GB machine). A load's own connections are sized to
# the graph. Questions get a pool sized to the file (question_pool_bytes): a question's
# intermediate results live in the pool too (a long-lived connection at 20,000 objects
# ran out of a 512 MB one), so when one fills it the store reopens with the default.
POOL_MIN = 512 * MB  # ample for a build and a read-back of small graphs
POOL_MAX = 4096 * MB


# glibc's malloc keeps what Ladybug's COPYs and commits free: its mmap threshold grows
# to the largest block freed (up to 32 MB), so later large buffers come from the heap and
# stay resident after a commit; each thread gets an arena of its own; and freed pages
# inside the heap go back to the system only on malloc_trim. A write fixes the threshold
# (large buffers are mapped and unmapped), shares one arena, and trims after each commit.
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
MMAP_THRESHOLD = 128 * 1024


@functools.cache
def _libc() -> Any:
    import ctypes  # only a write tunes malloc: not imported for a question

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc's, absent from other C libraries
    except (OSError, AttributeError):
        return None
    return libc


@functools.cache
def lean_malloc() -> bool:
    """Tune glibc's malloc for a write, once per process; False where there is no glibc."""
    libc = _libc()
    return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(M_ARENA_MAX, 1))


def release_free_memory() -> None:
    """Give the pages malloc holds free back to the system (glibc; elsewhere nothing)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def build_pool_bytes(records: int) -> int:
    """Buffer pool of a load's fresh database: pages beyond it are written to the file
    and evicted, so this bounds what the build keeps resident (~2 KB a record)."""
    return min(POOL_MAX, max(POOL_MIN, records * 2048))


def read_back_pool_bytes(path: Path) -> int:
    """Buffer pool of the connection a load reads the old graph with (a few scans, then
    closed): room for the whole file many times over."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return min(POOL_MAX, max(POOL_MIN, size * 16))


QUESTION_POOL_MIN = 1024 * MB
QUESTION_POOL_PER_FILE_BYTE = 64


def question_pool_bytes(path: Path) -> int:
    """Buffer pool of the read-only connection questions use: 64 times the file (a
    question's intermediate results live in the pool: 25,400 blast-radius rows at 20,000
    objects, a 56 MB file, need about 1 GB), at least 1 GB, at most Ladybug's default (80%
    of RAM). Opening with the default costs ~60 ms and ~40 MB more on a 24 GB machine,
    a fifth of a short question's whole run; a question that fills this pool is run
    again with the default (EmbeddedStore.query)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    try:
        default = int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 0.8)
    except (ValueError, OSError):  # pragma: no cover - not a POSIX system
        return 0
    return min(default, max(QUESTION_POOL_MIN, size * QUESTION_POOL_PER_FILE_BYTE))


def _chunks(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(rows), COPY_ROWS):
        yield rows[start : start + COPY_ROWS]


# The COPY source: each batch of rows is a CSV file kg writes with the standard library
# (no DataFrame: pandas alone costs ~50 MB, and a COPY from a frame held ~30 MB more
# until its commit), read by Ladybug's `LOAD FROM` and deleted after the COPY. Ladybug's
# CSV reader takes a quoted field as a string (`""` is the empty string) and an
# unquoted empty field as null. Its own list syntax (`[a,b]`) cannot carry every string
# (commas, quotes, brackets, empty items), so a list travels as one string: each item
# prefixed with LIST_ITEM (Ladybug's string_split drops empty pieces) and joined with
# LIST_SEPARATOR; these two and LIST_ESCAPE inside an item are written as LIST_ESCAPE
# followed by 1, 2 or 0. The COPY statement splits and unescapes it
# (cypher/embedded/csv_list.cypher). An empty list is the empty string.
LIST_SEPARATOR, LIST_ESCAPE, LIST_ITEM = "\x1f", "\x1b", "\x1e"
_LIST_ESCAPES = str.maketrans(
    {LIST_ESCAPE: LIST_ESCAPE + "0", LIST_SEPARATOR: LIST_ESCAPE + "1", LIST_ITEM: LIST_ESCAPE + "2"}
)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _list_item(item: Any) -> str:
    return LIST_ITEM + str(item).translate(_LIST_ESCAPES)


def csv_field(value: Any, column_type: str) -> str:
    """One value as a field of a COPY's CSV file, by the column's schema type."""
    if value is None:
        return ""
    if column_type == STRING_LIST:
        return _quoted(LIST_SEPARATOR.join(_list_item(item) for item in value))
    if column_type == BOOLEAN:
        return "true" if value else "false"
    if column_type == INT64:
        return str(int(value))
    return _quoted(str(value))


def csv_line(row: list[Any], column_types: list[str]) -> str:
    return ",".join([csv_field(value, column_type) for value, column_type in zip(row, column_types)]) + "\n"


def _cypher_string(text: str) -> str:
    """A Cypher string literal (a file path kg chose: quotes and backslashes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def copy_statement(template: str, column_types: list[str], file: Path, **names: str) -> str:
    """`COPY ... FROM (LOAD WITH HEADERS (c0 TYPE, ...) FROM 'file' ... RETURN ...)`: the
    file's columns in table order, a list column read as text and split back."""
    split_list = cypher_files.load("embedded/csv_list.cypher")
    columns = ", ".join(f"c{i} {STRING if t == STRING_LIST else t}" for i, t in enumerate(column_types))
    values = ", ".join(
        cypher_files.CypherFile.parse(split_list.fill({"column": f"c{i}"})).body if t == STRING_LIST else f"c{i}"
        for i, t in enumerate(column_types)
    )
    generated = {"columns": columns, "values": values, "file": _cypher_string(str(file))}
    return cypher_files.load(template).fill(generated, **names)


class _Batches:
    """COPYs in transactions of bounded size: one transaction for a few COPYs (a commit
    costs ~25 ms), a commit before the held writes grow past the bounds (a relationship
    COPY holds ~8 MB until then). Each COPY reads a CSV file written into `folder` for it
    and removed after it."""

    def __init__(self, conn: Any, folder: Path):
        self.conn = conn
        self.folder = folder
        self.copies = self.rows = self.files = 0

    def copy(self, template: str, rows: Iterable[list[Any]], column_types: list[str], **names: str) -> None:
        """COPY the rows (each in table order; a relationship's from and to ids first),
        written to the file one by one, never held as a whole."""
        self.files += 1
        file = self.folder / f"{self.files}.csv"
        count = 0
        with open(file, "w", encoding="utf-8", newline="") as handle:
            for row in rows:
                handle.write(csv_line(row, column_types))
                count += 1
        if self.copies == 0:
            self.conn.execute("BEGIN TRANSACTION")
        try:
            self.conn.execute(copy_statement(template, column_types, file, **names))
        except RuntimeError as exc:
            raise DatabaseError(f"embedded engine refused the load: {_first_line(exc)} (nothing was written)") from None
        finally:
            file.unlink()
        self.copies += 1
        self.rows += count
        if self.copies >= COPIES_PER_COMMIT or self.rows >= ROWS_PER_COMMIT:
            self.commit()

    def commit(self) -> None:
        if self.copies:
            self.conn.execute("COMMIT")
            release_free_memory()
        self.copies = self.rows = 0


class EmbeddedStore(Store):
    engine = "embedded"
    # a labelled pattern can read only its table's declared properties (others are a
    # binder error, not null): the target stays unlabelled here (kg.questions)
    labels_bind_properties = True

    def __init__(self, settings: EmbeddedSettings):
        self.settings = settings
        self.path = Path(settings.path)
        self._db: Any = None
        self._conn: Any = None
        self._opened_inode: int | None = None
        self._default_pool = False  # a question filled the sized pool: reads open with the default

    def describe(self) -> str:
        return self.settings.describe()

    def close(self) -> None:
        for handle in (self._conn, self._db):
            if handle is not None:
                with contextlib.suppress(RuntimeError):
                    handle.close()
        self._conn = self._db = None

    # -- reads -----------------------------------------------------------------
    def _reader(self, pool_bytes: int | None = None) -> Any:
        """A read-only connection to the current graph file (reopened after a load
        swapped a new file in); pool_bytes 0 is Ladybug's default buffer pool, None the
        questions' (question_pool_bytes)."""
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            self.close()
            raise NothingLoaded(f"nothing loaded into {self.describe()} yet: run `kg load REPO` first") from None
        if self._conn is None or inode != self._opened_inode:
            self.close()
            ladybug = _ladybug()
            if pool_bytes is None:
                pool_bytes = 0 if self._default_pool else question_pool_bytes(self.path)
            try:
                self._db = ladybug.Database(str(self.path), read_only=True, buffer_pool_size=pool_bytes)
                self._conn = ladybug.Connection(self._db)
                self._conn.execute(cypher_files.text("embedded/trails.cypher"))
            except RuntimeError as exc:
                raise DatabaseUnavailable(f"cannot open {self.describe()}: {_first_line(exc)}") from None
            self._opened_inode = inode
        return self._conn

    @staticmethod
    def _rows(conn: Any, text: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        try:
            result = conn.execute(text, params or {})
        except RuntimeError as exc:
            # the status layer, and the settings (issue 17): tables a file written by an older kg lacks
            status_tables = ("LiveStatus", "StatusSnapshot", "STATUS_OF", "Setting", "HAS_SETTING")
            if any(f"Table {name} does not exist" in str(exc) for name in status_tables):
                raise StatusTablesMissing(
                    "the graph file was written by an older kg, without the live status or settings tables: "
                    "load the repository again (`kg load REPO`)"
                ) from None
            if any(f"Table {name} does not exist" in str(exc) for name in ("WAITS_ON", "NESTS")):
                raise DatabaseError(
                    "the graph file was written by an older kg, without the dependsOn and MANAGES closures "
                    "(WAITS_ON, NESTS) the questions read: load the repository again (`kg load REPO`)"
                ) from None
            if "buffer pool is full" in str(exc):
                raise PoolFull(f"embedded engine: {_first_line(exc)}") from None
            if "Cannot find property" in str(exc):  # a column a newer kg declares (kg/schema.py)
                raise DatabaseError(
                    f"the graph file was written by another version of kg ({_first_line(exc)}): "
                    "load the repository again (`kg load REPO`)"
                ) from None
            raise DatabaseError(f"embedded engine: {_first_line(exc)}") from None
        columns = result.get_column_names()
        rows = []
        while result.has_next():
            # most values are text or numbers: only the others go through _plain
            rows.append({c: v if v.__class__ in _SCALARS else _plain(v) for c, v in zip(columns, result.get_next())})
        return rows

    def query(self, text: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a read query; rows as dicts (nodes become property dicts, paths PathTokens).
        A graph file written before the status layer existed has no status tables: a
        statement reading them has no rows there (no snapshot), as on a newer file."""
        try:
            try:
                return self._rows(self._reader(), text, params)
            except PoolFull:
                if self._default_pool:
                    raise
                self.close()  # the sized pool was too small for this question: the default
                self._default_pool = True
                return self._rows(self._reader(), text, params)
        except StatusTablesMissing:
            return []

    def query_limited(
        self, text: str, params: dict[str, Any] | None = None, *, max_rows: int, timeout: float
    ) -> tuple[list[Row], bool]:
        """A read on the file opened read-only (Ladybug refuses writes there), interrupted
        after `timeout` seconds; only `max_rows` rows are converted."""
        for attempt in (1, 2):
            conn = self._reader()
            conn.set_query_timeout(max(1, int(timeout * 1000)))
            try:
                result = conn.execute(text, params or {})
                break
            except RuntimeError as exc:
                if "Interrupted" in str(exc):
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
                if "buffer pool is full" in str(exc) and attempt == 1 and not self._default_pool:
                    self.close()  # as in query(): again, with Ladybug's default pool
                    self._default_pool = True
                    continue
                raise DatabaseError(f"embedded engine: {_first_line(exc)}") from None
            finally:
                if self._conn is not None:
                    self._conn.set_query_timeout(0)  # shared: no limit for kg's own queries
        if isinstance(result, list):  # several statements: Ladybug ran them all
            raise DatabaseError("embedded engine: one statement at a time")
        columns = result.get_column_names()
        rows: list[Row] = []
        while result.has_next():
            if len(rows) == max_rows:
                return rows, True
            rows.append({c: _plain(v) for c, v in zip(columns, result.get_next())})
        return rows, False

    def verify(self) -> None:
        self._reader()

    def check_writable(self) -> None:
        """Fail fast (before a long rendering) when the graph's folder cannot be written."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseReadOnly(
                f"cannot create the folder of {self.describe()}: {exc.strerror} (nothing was written)"
            ) from None
        if not os.access(folder, os.W_OK):
            raise DatabaseReadOnly(f"cannot write to {folder}: {self.describe()} is read-only (nothing was written)")

    @staticmethod
    def _tables(conn: Any) -> set[str]:
        return {row["name"] for row in EmbeddedStore._rows(conn, cypher_files.text("embedded/tables.cypher"), None)}

    def status(self) -> dict[str, Any]:
        tables = self._tables(self._reader())
        count_nodes, count_rels = (
            cypher_files.load("embedded/count_nodes.cypher"),
            cypher_files.load("embedded/count_rels.cypher"),
        )
        nodes = {
            label: self.query(count_nodes.fill(label=label))[0]["count"] for label in NODE_TYPES if label in tables
        }
        rels = {t: self.query(count_rels.fill(type=t))[0]["count"] for t in REL_TYPES if t in tables}
        ladybug = _ladybug()
        return {
            "engine": self.engine,
            "address": str(self.path),
            "database": str(self.path),
            "server": {
                "name": "LadybugDB (embedded)",
                "version": getattr(ladybug, "__version__", "?"),
                "edition": "embedded",
            },
            "nodes": {k: v for k, v in sorted(nodes.items()) if v},
            "relationships": {k: v for k, v in sorted(rels.items()) if v},
            "repos": self.query(cypher_files.text("db/repos.cypher")),
            "status_snapshots": self.status_snapshots(),
        }

    def ensure_schema(self) -> None:
        """Nothing to do: each load declares the tables in its fresh database."""

    # -- writes ----------------------------------------------------------------
    @contextlib.contextmanager
    def _write_lock(self, repo: str) -> Iterator[None]:
        self.check_writable()
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:
            with wait_notice("waiting for another load into %s to finish (it holds %s)", self.path, lock_path.name):
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_kept(
        self, kept: Callable[[dict[str, Any]], bool]
    ) -> tuple[dict[str, NodeRecord], dict[RelKey, RelRecord], set[str], set[RelKey]]:
        """What a write keeps of the stored graph: the nodes whose scope `kept` accepts and
        the relationships that start at one of them, whole; and the ids and keys of every
        stored node and relationship (what the write sweeps is counted from those).

        Only ids and scopes are read of everything; whole records only of a label or
        relationship group that holds a kept node (reloading the only repository in the
        file reads back next to nothing: 0.9 s instead of 3.8 s at 20,000 objects)."""
        nodes: dict[str, NodeRecord] = {}
        rels: dict[RelKey, RelRecord] = {}
        all_ids: set[str] = set()
        all_keys: set[RelKey] = set()
        if not self.path.exists():
            return nodes, rels, all_ids, all_keys
        self.close()  # a question's connection has the default pool: read back with a sized one
        lean_malloc()
        conn = self._reader(read_back_pool_bytes(self.path))
        tables = self._tables(conn)
        kept_ids: set[str] = set()
        for label in (label for label in NODE_TYPES if label in tables):
            scopes = self._rows(conn, cypher_files.load("embedded/read_node_scopes.cypher").fill(label=label), None)
            all_ids.update(row["id"] for row in scopes)
            keep = {row["id"] for row in scopes if kept(row)}
            if keep:
                kept_ids |= keep
                for row in self._rows(conn, cypher_files.load("embedded/read_nodes.cypher").fill(label=label), None):
                    if row["n"]["id"] in keep:
                        nodes[row["n"]["id"]] = (label, row["n"], NOTHING_ADDED)
        for rel_type, rel in REL_TYPES.items():
            if rel_type not in tables:
                continue
            for start_label in rel.sources:
                for end_label in rel.targets:
                    names = {"type": rel_type, "start_label": start_label, "end_label": end_label}
                    keys = [
                        (rel_type, row["from_id"], row["to_id"], row["rel_key"] or "")
                        for row in self._rows(
                            conn, cypher_files.load("embedded/read_rel_keys.cypher").fill(None, **names), None
                        )
                    ]
                    all_keys.update(keys)
                    if not any(key[1] in kept_ids for key in keys):
                        continue
                    for row in self._rows(
                        conn, cypher_files.load("embedded/read_rels.cypher").fill(None, **names), None
                    ):
                        if row["from_id"] in kept_ids:
                            props = row["r"]
                            rels[(rel_type, row["from_id"], row["to_id"], props.get("rel_key", ""))] = (
                                start_label,
                                end_label,
                                props,
                                NOTHING_ADDED,
                            )
        self.close()
        return nodes, rels, all_ids, all_keys

    def _build(self, target: Path, nodes: dict[str, NodeRecord], rels: dict[RelKey, RelRecord]) -> None:
        """A fresh database file with the tables and everything in the records.

        Memory is bounded, not proportional to the graph: Ladybug keeps what each COPY
        wrote in memory until a checkpoint (about 8 MB per relationship COPY however few
        its rows), so the build commits (and so checkpoints) after every few COPYs or
        rows; a relationship COPY takes at most COPY_ROWS rows, a node table one COPY
        (without its hash index, Ladybug takes a node table's rows in one COPY only), each
        a CSV file written for it alone (in a folder beside `target`, removed with it);
        and the buffer pool is sized to the graph instead of Ladybug's default of 80% of
        RAM. The node tables have no hash index (embedded/no_hash_index.cypher): ~3.6 MB
        each less to allocate and touch, at every write and every open. Committing
        part-way is safe: nobody reads this file before it is renamed in."""
        ladybug = _ladybug()
        lean_malloc()
        folder = target.with_name(target.name + ".rows")
        folder.mkdir()
        db = ladybug.Database(str(target), buffer_pool_size=build_pool_bytes(len(nodes) + len(rels)))
        conn = ladybug.Connection(db)
        try:
            conn.execute(cypher_files.text("embedded/no_hash_index.cypher"))
            for statement in table_statements():
                conn.execute(statement)
            batches = _Batches(conn, folder)
            by_label: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {label: [] for label in NODE_TYPES}
            for label, props, added in nodes.values():
                by_label[label].append((props, added))
            for label, rows in by_label.items():
                columns = list(node_properties(label))
                types = [property_type(c, label) for c in columns]
                if rows:  # one COPY a table: without its hash index, a node table takes only one
                    node_rows = ([a.get(c, p.get(c)) for c in columns] for p, a in rows)
                    batches.copy("embedded/copy_nodes.cypher", node_rows, types, label=label)
            del by_label
            groups: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any], dict[str, Any]]]] = {}
            for (rel_type, start, end, _), (start_label, end_label, props, added) in rels.items():
                groups.setdefault((rel_type, start_label, end_label), []).append((start, end, props, added))
            for (rel_type, start_label, end_label), group in sorted(groups.items()):
                columns = list(rel_properties(rel_type))
                types = [STRING, STRING] + [property_type(c, rel_type) for c in columns]
                names = {"type": rel_type, "start_label": start_label, "end_label": end_label}
                for chunk in _chunks(group):
                    rel_rows = ([s, e] + [a.get(c, p.get(c)) for c in columns] for s, e, p, a in chunk)
                    batches.copy("embedded/copy_rels.cypher", rel_rows, types, **names)
            batches.commit()
        finally:
            conn.close()
            db.close()
            shutil.rmtree(folder, ignore_errors=True)

    def _swap(self, nodes: dict[str, NodeRecord], rels: dict[RelKey, RelRecord]) -> None:
        building = self.path.with_name(f"{self.path.name}.new-{uuid.uuid4().hex[:8]}")
        try:
            self._build(building, nodes, rels)
            pause_for_tests("swap")
            os.replace(building, self.path)  # atomic: readers see the old graph or the new one
        finally:
            for leftover in (building, building.with_name(building.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def _clean_leftovers(self) -> None:
        """Files of builds that died (killed loads); only ever called under the lock."""
        for leftover in self.path.parent.glob(f"{self.path.name}.new-*"):
            if leftover.is_dir() and not leftover.is_symlink():  # the CSV files of a COPY
                shutil.rmtree(leftover, ignore_errors=True)
                continue
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _write_scope(
        self, gd: GraphDoc, repo: str, clusters: list[str] | None, repo_props: dict[str, Any], tag: str
    ) -> dict[str, int]:
        """Replace the scope as the Neo4j store does: what lies outside the scope stays,
        relationships leaving the scope are replaced, and the new file is swapped in whole."""
        with self._write_lock(repo):
            self._clean_leftovers()

            def in_scope(props: dict[str, Any]) -> bool:
                return props.get("repo") == repo and (clusters is None or props.get("cluster") in clusters)

            nodes, kept_rels, old_ids, old_keys = self._read_kept(lambda props: not in_scope(props))
            node_added = {"load_tag": tag}
            for node in gd.sorted_nodes():
                added = dict(repo_props, load_tag=tag) if node.label == "Repo" else node_added
                nodes[node.id] = (node.label, node.props, added)
            # a kept relationship starts at a kept node; its end may have been replaced
            rels = {key: rec for key, rec in kept_rels.items() if key[2] in nodes}
            for rel in gd.sorted_rels():
                rel_added = {"rel_key": rel.rel_key, "load_tag": tag}
                rels[(rel.type, rel.start, rel.end, rel.rel_key)] = (
                    rel.start_label,
                    rel.end_label,
                    rel.props,
                    rel_added,
                )
            swept = {
                "nodes": sum(1 for i in old_ids if i not in nodes),
                "relationships": sum(1 for k in old_keys if k not in rels),
            }
            del kept_rels, old_ids, old_keys  # before the build
            self._swap(nodes, rels)
        return swept

    def _write_status(self, layer: StatusLayer, tag: str) -> None:
        """Like a load: a fresh file holding the graph without the cluster's old status
        layer, plus the new one, renamed over the old file."""
        with self._write_lock(f"status of {layer.cluster}"):
            self._clean_leftovers()

            def old_status(props: dict[str, Any]) -> bool:
                # status nodes have no repo; their ids start with `status::` (loaders/status.py)
                return (
                    props.get("repo") is None
                    and str(props.get("id") or "").startswith(f"status::{layer.repo}:{layer.cluster}/")
                    or props.get("id") == layer.snapshot["id"]
                )

            nodes, kept_rels, _, _ = self._read_kept(lambda props: not old_status(props))
            if not any(label == "Repo" for label, _, _ in nodes.values()):
                raise NothingLoaded(f"nothing loaded into {self.describe()} yet: run `kg load REPO` first")
            added = {"load_tag": tag}
            nodes[layer.snapshot["id"]] = ("StatusSnapshot", layer.snapshot, added)
            rels = {key: rec for key, rec in kept_rels.items() if key[2] in nodes}
            rel_added = {"rel_key": "", "load_tag": tag}
            for record in layer.records:
                nodes[record.id] = ("LiveStatus", record.props, added)
                for target in record.targets:
                    if target.id in nodes:
                        end_label = label_for_kind(target.label) or target.label
                        rels[("STATUS_OF", record.id, target.id, "")] = ("LiveStatus", end_label, {}, rel_added)
            self._swap(nodes, rels)

    def status_snapshots(self) -> list[Row]:
        try:
            return super().status_snapshots()
        except DatabaseError:  # a graph file written before status snapshots existed
            return []

    def delete_repo(self, repo: str) -> None:
        with self._write_lock(repo):
            nodes, kept_rels, _, _ = self._read_kept(lambda props: props.get("repo") != repo)
            rels = {k: rec for k, rec in kept_rels.items() if k[2] in nodes}
            self._swap(nodes, rels)
