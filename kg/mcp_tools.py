"""What `kg mcp` offers an AI assistant, independent of the MCP SDK (kg/mcp_server.py
puts it on the wire): the tools, their JSON Schemas, their results, the resources and
the `debug-service` prompt.

- One tool per catalogue question (cypher/ask/*.cypher), generated from the file's
  header: a new question is a new tool with no code. It answers through
  `kg.questions.ask`, the code path of `kg ask`, so its rows are those of
  `kg ask NAME --format json`, capped by `limit` with a note of what was left out.
- kg_overview (what is loaded), kg_search (names matching a fragment:
  cypher/lookup/search.cypher) and kg_cypher (a read-only query: kg/cypher_guard.py,
  then the store's read-only transaction, row cap and timeout).

Every call returns a ToolResult and never raises: expected failures (unknown or
ambiguous target, nothing loaded, database down, refused query) are results marked as
errors whose text says what to do next; a bug is one line, its traceback goes to the
server's log (stderr), never to the assistant.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg import cypher_files, run_cypher
from kg.cypher_guard import RefusedQuery, check_read_only
from kg.errors import KgError, NotFound
from kg.evidence import PathTokens, cell
from kg.questions.catalogue import Question, catalogue
from kg.schema import KIND_LABELS, NODE_TYPES, label_for_kind
from kg.schema import markdown as schema_markdown

if TYPE_CHECKING:
    from kg.store.base import Store

log = logging.getLogger("kg.mcp")

DEFAULT_LIMIT = 50  # rows a tool returns unless asked for more: an assistant pays for every token
DEFAULT_ROW_CAP = 1000  # the most any call returns (`kg mcp --row-cap`)
DEFAULT_CYPHER_TIMEOUT = 10.0  # seconds a kg_cypher query may run (`kg mcp --cypher-timeout`)
SEARCH_DEFAULT_LIMIT = 20

OVERVIEW, SEARCH, CYPHER = "kg_overview", "kg_search", "kg_cypher"
DEBUG_PROMPT = "debug-service"
SCHEMA_URI = "kg://schema"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class ToolResult:
    """A tool's answer: a JSON object (also the text the assistant reads)."""

    payload: dict[str, Any]
    is_error: bool = False

    @property
    def text(self) -> str:
        return json.dumps(self.payload, indent=1, ensure_ascii=False)


class ToolFailure(Exception):
    """An expected failure inside a tool: becomes an error result with this payload."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.payload = {"error": message, **{k: v for k, v in details.items() if v not in (None, [], {})}}


# -- JSON-safe values -----------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """A query value as JSON: paths as evidence text, nodes as property maps, anything
    else the driver returns (dates, relationships) as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, PathTokens):
        return cell(value)
    if isinstance(value, list):
        converted = cell(value)
        return converted if isinstance(converted, str) else [jsonable(v) for v in converted]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


# -- schemas ----------------------------------------------------------------------------
def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _limit(row_cap: int, default: int) -> dict[str, Any]:
    return {
        "type": "integer", "minimum": 1, "maximum": row_cap, "default": default,
        "description": f"at most this many rows (default {default}, at most {row_cap}); "
        "the result says how many were left out",
    }  # fmt: skip


def question_schema(question: Question, row_cap: int) -> dict[str, Any]:
    """A question's parameters, from its header (`// param NAME: text`), with the
    qualifiers of a target (namespace, kind), the repository and a row limit."""
    properties: dict[str, Any] = {p: _string(text) for p, text in question.params.items()}
    if question.takes_target:
        properties["namespace"] = _string("only objects of this namespace (narrows name)")
        properties["kind"] = _string(
            f"only objects of this kind (narrows name): {', '.join(question.targets)}, or a kind such as Deployment"
        )
    properties.setdefault("cluster", _string("only this cluster"))
    properties["repo"] = _string("only this loaded repository (needed when several are loaded and names clash)")
    properties["limit"] = _limit(row_cap, DEFAULT_LIMIT)
    return {
        "type": "object",
        "properties": properties,
        "required": ["name"] if question.takes_target else [],
        "additionalProperties": False,
    }


def question_description(question: Question) -> str:
    lines = [question.summary]
    shown = [c for c in question.columns if c not in ("id", "parent_id")]
    lines.append("Columns: " + ", ".join(shown) + ".")
    if question.evidence:
        lines.append(f"evidence: {question.evidence}.")
    if question.targets:
        lines.append("name may be: " + ", ".join(question.targets) + " (kg_search finds names).")
    lines.append(f"Same rows as `kg ask {question.name} --format json`.")
    return "\n".join(lines)


def _tool_specs(questions: dict[str, Question], row_cap: int) -> list[ToolSpec]:
    specs = [
        ToolSpec(
            OVERVIEW,
            "What the graph holds",
            "What is loaded: engine, repositories (path, clusters, load time, git revision and commit time), "
            "node counts per label and relationship counts per type. Start here.",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        ToolSpec(
            SEARCH,
            "Find objects by name",
            "Objects whose name (or a workload's service name) contains a fragment, case-insensitive, with kind, "
            "namespace and cluster: resolve a vague name to the name/kind/namespace/cluster the other tools take. "
            "Exact names first.",
            {
                "type": "object",
                "properties": {
                    "fragment": _string("part of the name, e.g. 'pay' for payments-api"),
                    "kind": _string("only this kind or label (Deployment, Workload, HelmRelease, Kustomization, ...)"),
                    "namespace": _string("only this namespace"),
                    "cluster": _string("only this cluster"),
                    "repo": _string("only this loaded repository"),
                    "limit": _limit(row_cap, SEARCH_DEFAULT_LIMIT),
                },
                "required": ["fragment"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            CYPHER,
            "Read-only Cypher",
            "Run one read-only Cypher query for what the question tools do not cover (the schema: resource "
            f"{SCHEMA_URI}). Writes, CALL of other than schema procedures, LOAD/COPY are refused before they reach "
            "the database; it runs in a read-only transaction with a row cap and a timeout. Pass values as "
            "`params` ($name in the query), not pasted into the text.",
            {
                "type": "object",
                "properties": {
                    "query": _string(
                        "one Cypher statement that only reads, e.g. MATCH (w:Workload) RETURN w.name LIMIT 5"
                    ),
                    "params": {"type": "object", "description": 'query parameters, e.g. {"name": "vault"}'},
                    "limit": _limit(row_cap, DEFAULT_LIMIT),
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        ),
    ]
    for question in questions.values():
        specs.append(
            ToolSpec(question.name, question.name, question_description(question), question_schema(question, row_cap))
        )
    return specs


# -- the load command a message names -----------------------------------------------------
def load_command(store: Store) -> str:
    """The command that fills this very graph, whatever the working directory."""
    settings: Any = getattr(store, "settings", None)
    if store.engine == "embedded" and settings is not None:
        return f"kg load REPO --engine embedded --graph {Path(settings.path).resolve()}"
    if settings is not None:
        database = f" --database {settings.database}" if settings.database else ""
        return f"kg load REPO --engine neo4j --uri {settings.uri}{database}"
    return "kg load REPO"


def _age(timestamp: str | None, now: datetime) -> str | None:
    """'3 h 5 min ago' for an ISO time (None when it does not parse)."""
    try:
        then = datetime.fromisoformat(str(timestamp))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    minutes = max(0, int((now - then).total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts[:2]) + " ago"


def _for_assistant(message: str, tool: str) -> str:
    """A CLI error message in the words of the tools."""
    return (
        message.replace(f"`kg ask {tool}`", f"the {tool} tool")
        .replace("use --cluster/--repo", "pass cluster or repo")
        .replace("qualify it as kind/name, namespace/name or kind/namespace/name", "pass kind and/or namespace")
    )


def _object(row: dict[str, Any]) -> dict[str, Any]:
    """A node as the tools name it: kind, name, namespace, cluster, repo (no Nones)."""
    keys = ("kind", "name", "namespace", "cluster", "repo")
    return {k: row[k] for k in keys if row.get(k) is not None} | ({"missing": True} if row.get("missing") else {})


# -- the toolbox ----------------------------------------------------------------------------
@dataclass
class Toolbox:
    """The tools on one store (opened on first use, kept for the server's life). Calls
    are serialised: the embedded engine's connection is not for concurrent use, and
    each call takes milliseconds."""

    open_store: Callable[[], Store]
    row_cap: int = DEFAULT_ROW_CAP
    cypher_timeout: float = DEFAULT_CYPHER_TIMEOUT
    questions: dict[str, Question] = field(default_factory=catalogue)
    _store: Store | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.specs = {spec.name: spec for spec in _tool_specs(self.questions, self.row_cap)}
        self._validators: dict[str, Any] = {}

    # -- life cycle ---------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.open_store()
        return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- calls ----------------------------------------------------------------------------
    def call(self, name: str, arguments: dict[str, Any] | None) -> ToolResult:
        """Run a tool; never raises."""
        from kg.store.embedded_store import NothingLoaded

        arguments = dict(arguments or {})
        try:
            with self._lock:
                return ToolResult(self._dispatch(name, arguments))
        except ToolFailure as exc:
            return ToolResult(exc.payload, is_error=True)
        except NothingLoaded:  # the embedded engine's graph file does not exist yet
            store = self.store
            return ToolResult(
                {"error": f"nothing is loaded into {store.describe()}: run `{load_command(store)}`"}, is_error=True
            )
        except KgError as exc:
            return ToolResult({"error": _for_assistant(str(exc), name)}, is_error=True)
        except Exception as exc:  # noqa: BLE001 - a bug: one line to the assistant, the traceback to the log
            log.exception("kg mcp: tool %s failed", name)
            return ToolResult(
                {"error": f"internal error in kg ({exc.__class__.__name__}); the server log has the details"},
                is_error=True,
            )

    def _dispatch(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        spec = self.specs.get(name)
        if spec is None:
            raise ToolFailure(f"unknown tool {name!r}", tools=sorted(self.specs))
        self._validate(spec, arguments)
        if name == OVERVIEW:
            return self.overview()
        if name == SEARCH:
            return self.search(**arguments)
        if name == CYPHER:
            return self.cypher(**arguments)
        return self.ask(name, **arguments)

    def _validate(self, spec: ToolSpec, arguments: dict[str, Any]) -> None:
        """The arguments against the tool's JSON Schema (clients may not check them)."""
        import jsonschema

        validator = self._validators.get(spec.name)
        if validator is None:
            validator = self._validators[spec.name] = jsonschema.Draft202012Validator(spec.input_schema)
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path)
            raise ToolFailure(
                f"invalid arguments for {spec.name}: {(where + ': ') if where else ''}{errors[0].message}",
                parameters=sorted(spec.input_schema["properties"]),
            )

    def _nothing_loaded(self) -> bool:
        return not self.store.query(cypher_files.text("db/repos.cypher"))

    def _require_loaded(self) -> None:
        if self._nothing_loaded():
            raise ToolFailure(f"nothing is loaded into {self.store.describe()}: run `{load_command(self.store)}`")

    # -- the question tools ---------------------------------------------------------------
    def ask(
        self, question: str, name: str | None = None, kind: str | None = None, namespace: str | None = None,
        cluster: str | None = None, repo: str | None = None, limit: int = DEFAULT_LIMIT, key: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A catalogue question through `kg ask`'s own code, its rows capped."""
        from kg.questions import ask

        store = self.store
        target = target_text(name, kind, namespace) if name is not None else None
        try:
            answer = ask(store, question, target, cluster=cluster, repo=repo, key=key)
        except NotFound as exc:
            if self._nothing_loaded():
                self._require_loaded()
            raise ToolFailure(
                _for_assistant(str(exc), question),
                did_you_mean=exc.suggestions,
                candidates=[_object(c) for c in exc.candidates],
                hint="kg_search finds names by a fragment" if exc.suggestions or not exc.candidates else None,
            ) from None
        rows = answer.rows
        payload: dict[str, Any] = {"question": question}
        if target is not None:
            payload["target"] = target
            if answer.target is not None:
                payload["resolved"] = [_object(c) for c in answer.target.candidates[:20]]
        payload["columns"] = answer.columns
        payload["rows"] = rows[:limit]
        payload["row_count"] = len(rows)
        if len(rows) > limit:
            payload["note"] = (
                f"{len(rows) - limit} of {len(rows)} rows left out (limit {limit}): raise limit (at most "
                f"{self.row_cap}) or narrow with cluster{', namespace or kind' if target else ''}"
            )
        elif not rows:
            if self._nothing_loaded():
                self._require_loaded()
            payload["note"] = f"no rows: {answer.empty_message}"
        return payload

    # -- kg_overview ------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        store = self.store
        loads = run_cypher.run(store, cypher_files.load("db/loads.cypher"))
        if not loads:
            self._require_loaded()
        status = store.status()
        now = datetime.now(UTC)
        repos = []
        for row in loads:
            entry = {k: v for k, v in row.items() if v not in (None, "")}
            age = _age(row.get("loaded_at"), now)
            if age:
                entry["loaded"] = age
            repos.append(entry)
        overview: dict[str, Any] = {
            "engine": store.engine,
            "graph": store.describe(),
            "repos": repos,
            "nodes": status["nodes"],
            "relationships": status["relationships"],
            "questions": {name: q.summary for name, q in self.questions.items()},
            "next": f"{SEARCH} resolves a name; each question is a tool; {CYPHER} for the rest (schema: {SCHEMA_URI})",
        }
        # the live status layer (kg status load): how old each cluster's snapshot is, so an
        # assistant knows whether `why` answers from the cluster as it is now
        snapshots = [
            {**{k: v for k, v in snap.items() if v not in (None, "")}, "age": _age(snap.get("snapshot_at"), now)}
            for snap in status.get("status_snapshots", [])
        ]
        if snapshots:
            overview["status_snapshots"] = snapshots
        return overview

    # -- kg_search ------------------------------------------------------------------------------
    def search(
        self, fragment: str, kind: str | None = None, namespace: str | None = None, cluster: str | None = None,
        repo: str | None = None, limit: int = SEARCH_DEFAULT_LIMIT,
    ) -> dict[str, Any]:  # fmt: skip
        store = self.store
        if not fragment.strip():
            raise ToolFailure("fragment is empty: give part of a name")
        params = {
            "fragment": fragment.strip().lower(), "kinds": kinds_of(kind) if kind else [],
            "namespace": namespace, "cluster": cluster, "repo": repo, "limit": limit + 1,
        }  # fmt: skip
        rows = store.query(cypher_files.text("lookup/search.cypher"), params)
        if not rows and self._nothing_loaded():
            self._require_loaded()
        matches = []
        for row in rows[:limit]:
            match = _object(row)
            if row.get("service") and row["service"] != row.get("name"):
                match["service"] = row["service"]
            matches.append(match)
        payload: dict[str, Any] = {"fragment": fragment, "matches": matches}
        if len(rows) > limit:
            payload["note"] = (
                f"more than {limit} matches: give a longer fragment, kind, namespace or cluster, or raise limit"
            )
        elif not rows:
            payload["note"] = "nothing matches: try a shorter fragment, or kg_overview for what is loaded"
        return payload

    # -- kg_cypher -------------------------------------------------------------------------------
    def cypher(self, query: str, params: dict[str, Any] | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
        try:
            check_read_only(query)
        except RefusedQuery as exc:
            raise ToolFailure(f"refused, nothing ran: {exc}") from None
        store = self.store
        rows, more = store.query_limited(query, params or {}, max_rows=limit, timeout=self.cypher_timeout)
        payload: dict[str, Any] = {
            "rows": [{k: jsonable(v) for k, v in row.items()} for row in rows],
            "row_count": len(rows),
        }
        if more:
            payload["note"] = (
                f"more than {limit} rows: only the first {limit} are shown (add LIMIT/ORDER BY, or raise limit)"
            )
        return payload

    # -- the debug-service prompt ---------------------------------------------------------------
    def debug_prompt(self, name: str, cluster: str | None = None, repo: str | None = None) -> tuple[str, str]:
        """(description, text) of the debug-service prompt: the seed's check order for one
        service, filled in from the graph by the debug question."""
        scope = {k: v for k, v in (("cluster", cluster), ("repo", repo)) if v}
        result = self.call("debug", {"name": name, **scope, "limit": self.row_cap})
        if result.is_error:
            details = {k: v for k, v in result.payload.items() if k != "error"}
            return (
                f"Debug {name}: kg needs a name it can resolve to one service",
                f"I want to debug the service `{name}` on our Flux platform, but kg cannot resolve it to one "
                f"service:\n\n{result.payload['error']}\n\n"
                + (json.dumps(details, indent=1) + "\n" if details else "")
                + f"Use the {SEARCH} tool to find the right name, then the `debug` tool with it.",
            )
        resolved = result.payload.get("resolved", [])
        where = "; ".join(
            f"{o.get('kind')} {o.get('namespace', '')}/{o.get('name')} in cluster {o.get('cluster')}" for o in resolved
        )
        steps = []
        for row in result.payload["rows"]:
            step = f"{row['step']}. [{row['area']}] {row['check']}"
            if row.get("command"):
                step += f"\n   $ {row['command']}"
            if row.get("evidence"):
                step += f"\n   why: {row['evidence']}"
            steps.append(step)
        text = f"""Debug the service `{name}` ({where}) on our Flux platform.

Work through the checks below in order, from the repository's knowledge graph (kg), and stop at the
first one that fails. Flux comes first: many "config not applied" problems are a failed reconciliation
(a source not Ready, a Kustomization or HelmRelease that failed, a dependency not Ready). For each check,
run the command (or ask me to run it) and compare what you see with what the check expects.

{chr(10).join(steps)}

When a check fails, the kg tools explain it:
- a dependency or Kustomization not Ready: `depends-on` and `trace` for {name}, `blast-radius` for the failing object
  (what else it blocks);
- credentials: `secrets` for {name} (Vault paths and keys, never values);
- configuration: `config` for {name} (ConfigMap keys, raw and resolved values, the variables behind them);
- something in the repository itself: `problems`;
- a name you are unsure of: `{SEARCH}`.
Say which check failed and why, with the evidence path kg gave."""
        return f"The check order for {name}, from the graph", text


def target_text(name: str, kind: str | None, namespace: str | None) -> str:
    """NAME as `kg ask` reads it: kind/namespace/name, kind/name or namespace/name."""
    if kind and not label_for_kind(kind):
        raise ToolFailure(f"unknown kind {kind!r}", kinds=sorted(set(NODE_TYPES) | set(KIND_LABELS)))
    return "/".join(part for part in (kind, namespace, name) if part)


def kinds_of(kind: str) -> list[str]:
    """The lower-case kinds a kind or label name stands for (Workload: Deployment, ...)."""
    label = label_for_kind(kind)
    if label is None:
        raise ToolFailure(f"unknown kind {kind!r}", kinds=sorted(set(NODE_TYPES) | set(KIND_LABELS)))
    if kind.lower() != label.lower():
        return [kind.lower()]
    return sorted({k.lower() for k, kind_label in KIND_LABELS.items() if kind_label == label} | {label.lower()})


# -- resources ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceFile:
    uri: str
    name: str
    description: str
    mime_type: str
    path: Path | None  # None: generated (the schema)

    def read(self) -> str:
        if self.path is None:
            return schema_markdown()
        return self.path.read_text(encoding="utf-8")


SKILL_DATA = ("services", "flux-resources", "secrets-map", "configmaps")


def resources(skill_dir: Path | None) -> list[ResourceFile]:
    """The graph schema, and the exported skill's files when `skill_dir` (a `kg export
    --out` folder, or its flux-infra-guide folder) is given. Only these files are ever
    read: a URI names one of them, never a path."""
    found = [
        ResourceFile(
            SCHEMA_URI,
            "graph-schema",
            "The graph schema: labels, relationship types, properties (docs/schema.md)",
            "text/markdown",
            None,
        )
    ]
    if skill_dir is None:
        return found
    guide = (
        skill_dir
        if (skill_dir / "SKILL.md").is_file() and not (skill_dir / "flux-infra-guide").is_dir()
        else skill_dir / "flux-infra-guide"
    )
    regenerate = guide.parent / "flux-infra-guide-regenerate"
    candidates = [
        (guide / "SKILL.md", "flux-infra-guide/SKILL.md", "The flux-infra-guide skill (kg export)", "text/markdown"),
        *[
            (
                guide / "data" / f"{d}.json",
                f"flux-infra-guide/data/{d}.json",
                f"The skill's data file {d}.json",
                "application/json",
            )
            for d in SKILL_DATA
        ],
        (
            regenerate / "SKILL.md",
            "flux-infra-guide-regenerate/SKILL.md",
            "How to regenerate the skill",
            "text/markdown",
        ),
    ]
    for path, relative, description, mime in candidates:
        if path.is_file():
            found.append(ResourceFile(f"kg://skill/{relative}", relative, description, mime, path))
    return found
