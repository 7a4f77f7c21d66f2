"""The `kg` command line. Exit codes: kg/errors.py (exit_codes(), README's table)."""

import contextlib
import functools
import inspect
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from kg import __version__
from kg.config import DEFAULT_GUIDE_PORT, chart_cache_dir, render_cache_dir
from kg.errors import INTERRUPTED, KgError, UsageError, loader_errors

if TYPE_CHECKING:
    from kg.questions import Question
    from kg.store.base import Store


def _plain_parameters(command: Any) -> None:
    """typer 0.2x coerces every parameter's value through a pydantic TypeAdapter built on
    first use: importing pydantic and building the adapters cost about 70 ms of every
    command, more than a question on a small graph. The value of a `str` parameter is the
    text click parsed (command line or environment variable), and that of a flag without
    an environment variable a bool; the adapter returns both unchanged. Such parameters
    get typer's own pass-through coercion instead: the same value, or the same refusal of
    another type. Others (numbers, paths, bools read from the environment) keep the
    adapter; a typer without these internals is left as it is."""
    try:
        from typer._coercion import PassThroughRuntimeParam
    except ImportError:  # pragma: no cover - a typer without pydantic
        return
    params = list(getattr(command, "params", ()))
    if hasattr(command, "get_help_option") and hasattr(command, "context_class"):
        # --help is made on first use and kept (command._help_option): make it now
        help_option = command.get_help_option(command.context_class(command, **command.context_settings))
        params += [help_option] if help_option is not None else []
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        plain = descriptor.annotation is str or (descriptor.annotation is bool and not param.envvar)
        if plain and descriptor.file_annotation is None and descriptor.parameter_info.parser is None:
            param._runtime_param = PassThroughRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
    for sub in getattr(command, "commands", {}).values():
        _plain_parameters(sub)


class _KgGroup(typer.core.TyperGroup):
    """kg's root command: its parameters, and every subcommand's, skip pydantic where it
    changes nothing (`_plain_parameters`) before the command line is parsed."""

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        if parent is None:
            _plain_parameters(self)
        return super().make_context(info_name, args, parent, **extra)


app = typer.Typer(
    help="flux-kg: a Flux CD GitOps repository as a knowledge graph (embedded, or in Neo4j), and the on-call answers in it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # help texts hold [env ...; default ...] in brackets: plain text, not Rich markup
    rich_markup_mode=None,
    cls=_KgGroup,
)
db_app = typer.Typer(help="Inspect the graph kg uses (embedded file or Neo4j).", no_args_is_help=True)
app.add_typer(db_app, name="db")

EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        envvar="KG_ENGINE",
        help="embedded or neo4j [default: neo4j when NEO4J_URI or --uri is set, else embedded].",
        show_default=False,
    ),
]
GraphOpt = Annotated[
    str | None,
    typer.Option(
        "--graph", envvar="KG_GRAPH", help="The embedded engine's graph file [default: .kg/graph].", show_default=False
    ),
]
UriOpt = Annotated[
    str | None,
    typer.Option("--uri", envvar="NEO4J_URI", help="Bolt URI (default bolt://127.0.0.1:7687).", show_default=False),
]
UserOpt = Annotated[
    str | None, typer.Option("--user", envvar="NEO4J_USER", help="Neo4j user (default neo4j).", show_default=False)
]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        envvar="NEO4J_PASSWORD",
        help="Neo4j password (default: that of scripts/neo4j-local and docker-compose.yml).",
        show_default=False,
    ),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="NEO4J_DATABASE",
        help="Database name (default: the server's default database).",
        show_default=False,
    ),
]
ClusterOpt = Annotated[str | None, typer.Option("--cluster", "-c", help="Only this cluster.")]
RepoOpt = Annotated[
    str | None, typer.Option("--repo", help="Only this loaded repository (needed when several are loaded).")
]
FORMATS = ("table", "json", "csv")
EvidenceOpt = Annotated[
    bool, typer.Option("--evidence", help="Table: show the graph path behind each row (json and csv always carry it).")
]


def _fail(message: str, code: int) -> None:
    # one line, whatever a message quotes (a name given on the command line may hold a
    # newline or control characters): those are shown escaped
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))
    typer.echo(f"kg: error: {line}", err=True)
    raise typer.Exit(code)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures become one line on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KgError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            # an open load transaction is rolled back when its session closes
            _fail("interrupted (a load in progress was rolled back)", INTERRUPTED)

    return wrapper


@dataclass(frozen=True)
class Connection:
    """The six connection options every command that reads or writes the graph takes;
    `with_connection` declares them once and puts this object on the click context."""

    engine: str | None = None
    graph: str | None = None
    uri: str | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None

    def open(self) -> "Store":
        from kg.store import open_store

        return open_store(
            self.engine, uri=self.uri, user=self.user, password=self.password, database=self.database, graph=self.graph
        )


CONNECTION_OPTIONS = {
    "engine": EngineOpt,
    "graph": GraphOpt,
    "uri": UriOpt,
    "user": UserOpt,
    "password": PasswordOpt,
    "database": DatabaseOpt,
}


def with_connection(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Declare the connection options on a command (after its own options, as `--help`
    lists them) and hand the command a `Connection` as its `connection` argument; the
    same object is the click context's `obj`."""
    own = [p for name, p in inspect.signature(fn).parameters.items() if name != "connection"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, hint in CONNECTION_OPTIONS.items()
    ]
    added.append(inspect.Parameter("_kg_context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        connection = Connection(**{name: kwargs.pop(name, None) for name in CONNECTION_OPTIONS})
        context = kwargs.pop("_kg_context", None)
        if context is not None:
            context.obj = connection
        return fn(*args, connection=connection, **kwargs)

    wrapper.__signature__ = inspect.Signature(own + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
    return wrapper


@app.callback(invoke_without_command=True)
def root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"kg {__version__}")
        raise typer.Exit()


# -- load ------------------------------------------------------------------------
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _StderrHandler(logging.Handler):
    """Log lines on the current sys.stderr (looked up per record, so test runners that
    swap the stream see them), prefixed like kg's errors."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(f"kg: {record.levelname.lower()}: {self.format(record)}\n")
        except Exception:  # noqa: BLE001 - logging must never break a load
            self.handleError(record)


@contextlib.contextmanager
def _logging(verbose: int) -> Iterator[None]:
    """`-v` info, `-vv` debug, else KG_LOG_LEVEL (debug|info|warning|error), else warning.
    The driver's own logger only ever shows warnings (its retries): at debug it would
    print every Bolt message, parameters included."""
    level = {0: None, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if level is None:
        name = os.environ.get("KG_LOG_LEVEL", "warning").strip().lower()
        if name not in LOG_LEVELS:
            raise UsageError(f"KG_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {name!r}")
        level = LOG_LEVELS[name]
    handler = _StderrHandler()
    kg_log, driver_log = logging.getLogger("kg"), logging.getLogger("neo4j")
    saved = kg_log.level, driver_log.level
    kg_log.setLevel(level)
    kg_log.addHandler(handler)
    if level <= logging.INFO:
        driver_log.setLevel(logging.WARNING)
        driver_log.addHandler(handler)
    try:
        yield
    finally:
        kg_log.removeHandler(handler)
        driver_log.removeHandler(handler)
        kg_log.setLevel(saved[0])
        driver_log.setLevel(saved[1])


def _log_load(result: Any) -> None:
    """What the load saw, for -v/-vv: stage times, each Kustomization, each warning.
    Names, paths and counts only: the records never hold secret values, and neither
    does this."""
    log = logging.getLogger("kg.load")
    log.info("stages: %s", ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    if result.render_cache:
        log.info("render cache: %s", ", ".join(f"{k} {v}" for k, v in result.render_cache.items()))
    for render in result.renders:
        for ks in render.kustomizations.values():
            log.debug(
                "[%s] Kustomization %s: path %s, %d object(s)%s%s",
                render.name,
                ks.key,
                ks.source_dir or "-",
                len(ks.objects),
                f", unresolved ${', $'.join(ks.unresolved_vars)}" if ks.unresolved_vars else "",
                f", failed: {ks.render_error}" if ks.render_error else "",
            )
    for w in result.warnings:
        log.debug("warning: %s", w)
    for label, n in result.graph.counts().items():
        log.debug("records: %s %d", label, n)


@contextlib.contextmanager
def _status(enabled: bool) -> Iterator[Any]:
    """A one-line progress display on an interactive terminal (stderr); silent otherwise."""
    if not (enabled and sys.stderr.isatty()):  # rich costs ~2.5 MB and 25 ms of a load: only for a terminal
        yield lambda message: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda message: None
        return
    with console.status("discovering clusters") as status:
        yield lambda message: status.update(message)


@app.command()
@handle_errors
@with_connection
def load(
    path: Annotated[Path, typer.Argument(help="The Flux repository (a checkout).", show_default=False)],
    cluster: Annotated[
        list[str] | None,
        typer.Option(
            "--cluster",
            "-c",
            help="Load only this cluster: a cluster name or a folder of the repository (repeatable). Default: every cluster found.",
        ),
    ] = None,
    repo_name: Annotated[
        str | None, typer.Option("--repo-name", help="Name of the repository in the graph [default: the folder name].")
    ] = None,
    entry: Annotated[
        list[str] | None,
        typer.Option(
            "--entry",
            "-e",
            help="Declare a cluster root: a folder the root Kustomization syncs, PATH or PATH=CLUSTER (repeatable). Default: discovered (bootstrap files, FluxInstance, then a fallback).",
        ),
    ] = None,
    warnings: Annotated[bool, typer.Option("--warnings", "-w", help="List every warning.")] = False,
    charts: Annotated[
        bool,
        typer.Option(
            "--charts/--no-charts", help="Render HelmRelease charts with helm (fetched once into the chart cache)."
        ),
    ] = True,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            envvar="KG_OFFLINE",
            help="Render only the charts the chart cache holds (fill it with `kg charts pull`); fetch nothing.",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Log on stderr: -v stages and the write, -vv every Kustomization and warning [env KG_LOG_LEVEL=debug|info|warning|error].",
        ),
    ] = 0,
    connection: Connection = Connection(),
) -> None:
    """Render the repository as Flux would and write its graph (embedded file or Neo4j).

    Each load replaces the previous graph of the same scope (the repository, or the
    clusters named with --cluster) atomically: a failed load changes nothing. Loads of
    one repository run one at a time: a second one waits for the first."""
    from kg.loaders import load_repo
    from kg.loaders.kustomize import is_build_server

    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    started = time.perf_counter()
    with _logging(verbose), connection.open() as store, _status(fmt == "text") as status:
        store.check_writable()  # fail fast, before the (longer) rendering
        with loader_errors():
            result = load_repo(
                path,
                repo_name=repo_name,
                clusters=cluster or None,
                progress=status,
                entries=entry or None,
                charts=charts,
                chart_cache=chart_cache_dir(connection.engine, connection.graph, connection.uri),
                offline=offline,
                render_cache=render_cache_dir(connection.engine, connection.graph, connection.uri),
            )
        _log_load(result)
        status(
            f"writing {len(result.graph.nodes)} nodes and {len(result.graph.rels)} relationships to {store.describe()}"
        )
        store.ensure_schema()
        write_started = time.perf_counter()
        written = store.write(
            result.graph,
            result.repo,
            cluster or None,
            repo_props={"git_revision": result.git_revision, "git_commit_time": result.git_commit_time},
        )
        result.timings["write"] = time.perf_counter() - write_started
    total = time.perf_counter() - started
    if fmt == "json":
        typer.echo(
            json.dumps(
                {
                    "repo": result.repo,
                    "path": str(path),
                    "engine": store.engine,
                    "database": store.describe(),
                    "clusters": [vars(c) for c in result.clusters],
                    "nodes": written["nodes"],
                    "relationships": written["relationships"],
                    "load_tag": written["load_tag"],
                    "swept": written["swept"],
                    "warnings": [
                        {"cluster": w.cluster, "file": w.file, "line": w.line, "reason": w.reason}
                        for w in result.warnings
                    ],
                    "seconds": {k: round(v, 3) for k, v in {**result.timings, "total": total}.items()},
                    "render_cache": result.render_cache,
                    "kustomize": result.kustomize,
                },
                indent=2,
            )
        )
        return
    typer.echo(f"Loaded {result.repo} ({path}) into {store.describe()} in {total:.1f} s")
    header = f"{'cluster':<24} {'kustomizations':>14} {'failed':>6} {'helmreleases':>12} {'charts':>6} {'workloads':>9} {'objects':>7} {'warnings':>8}"
    typer.echo(header)
    for c in result.clusters:
        typer.echo(
            f"{c.name:<24} {c.kustomizations:>14} {c.kustomizations_failed:>6} {c.helm_releases:>12} {c.charts_rendered:>6} {c.workloads:>9} {c.objects:>7} {c.warnings:>8}"
        )
    for c in result.clusters:
        typer.echo(f"{c.name}: entry point {c.entry_point}: {c.entry_file}")
        for hit in c.limits_hit:
            typer.echo(f"{c.name}: build stopped by a limit: {hit} (KG_BUILD_TIMEOUT, KG_BUILD_MEMORY_MB)")
    if result.render_cache:
        builds = result.render_cache["hits"] + result.render_cache["misses"]
        typer.echo(f"render cache: {result.render_cache['hits']} of {builds} kustomize builds reused")
    counts = ", ".join(f"{label} {n}" for label, n in result.graph.counts().items())
    typer.echo(f"graph: {written['nodes']} nodes, {written['relationships']} relationships ({counts})")
    command = result.kustomize.split(" ")
    if any(c.kustomizations for c in result.clusters) and not is_build_server(command):
        if Path(command[0]).name == "kubectl":
            typer.echo(
                "rendered with `kubectl kustomize`: `scripts/kustomize-local install` in a flux-kg checkout builds "
                "kustomize and kg's kustomize build server, which renders with half the CPU and less memory"
            )
        elif not os.environ.get("KG_KUSTOMIZE"):
            typer.echo(
                f"rendered with one `{result.kustomize}` process a build: `scripts/kustomize-local install` in a "
                "flux-kg checkout builds kg's kustomize build server, which renders with half the CPU"
            )
    if result.warnings:
        if warnings:
            typer.echo("warnings:")
            for w in result.warnings:
                typer.echo(f"  {w}")
        else:
            typer.echo(f"{len(result.warnings)} warning(s): run with --warnings to list them")


# -- diff ------------------------------------------------------------------------
DIFF_FORMATS = ("markdown", "json", "table")
LOAD_STAGES = ("discover", "render", "charts", "extract")


def _load_side(path: Path, options: dict[str, Any]) -> Any:
    """One side of `kg diff`, rendered (in a process of its own: see _load_sides)."""
    from kg.loaders import load_repo

    result = load_repo(path, **options)
    result.renders = []  # the rendered objects stay here: the graph is what the diff reads
    return result


def _load_sides(paths: list[Path], options: dict[str, Any], labels: list[str]) -> list[Any]:
    """Both sides rendered at once when there is more than one core: BASE in a process of
    its own (rendering is mostly Python: threads would take turns), HEAD here. A side that
    does not render is DiffFailed, naming it."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from kg.errors import DiffFailed

    def failed(label: str, exc: KgError) -> KgError:
        return exc if isinstance(exc, UsageError) else DiffFailed(f"{label}: {exc}")

    if (os.cpu_count() or 1) < 2:
        results = []
        for path, label in zip(paths, labels):
            try:
                with loader_errors():
                    results.append(_load_side(path, options))
            except KgError as exc:
                raise failed(label, exc) from None
        return results
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        base = pool.submit(_load_side, paths[0], options)
        try:
            with loader_errors():
                head = _load_side(paths[1], options)
        except KgError as exc:
            base.cancel()
            raise failed(labels[1], exc) from None
        try:
            with loader_errors():
                return [base.result(), head]
        except KgError as exc:
            raise failed(labels[0], exc) from None


@app.command()
@handle_errors
def diff(
    base: Annotated[
        str,
        typer.Argument(help="The side before: a git revision (origin/main, a commit) or a folder.", show_default=False),
    ],
    head: Annotated[
        str | None,
        typer.Argument(
            help="The side after: a revision or a folder [default: the work tree, uncommitted changes included].",
            show_default=False,
        ),
    ] = None,
    directory: Annotated[
        Path, typer.Option("--dir", "-C", help="The Flux repository (a folder of a git checkout) the revisions are of.")
    ] = Path("."),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="markdown (a pull-request comment), json or table [default: table on a terminal, markdown otherwise].",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 10 when a change matches one of these policies (comma-separated): any, removed, secrets, images, production-images, dependencies, cycles.",
            show_default=False,
        ),
    ] = None,
    production: Annotated[
        str,
        typer.Option(
            "--production", help="A pattern of production cluster names: their image changes are looked at first."
        ),
    ] = r"(^|[-_.])(prod|production|prd)($|[-_.])",
    impact: Annotated[
        bool,
        typer.Option("--impact/--no-impact", help="Each change's blast radius in HEAD (a temporary embedded graph)."),
    ] = True,
    impact_limit: Annotated[
        int,
        typer.Option(
            "--impact-limit",
            min=0,
            help="At most this many changes get their impact (look-first ones before the others).",
        ),
    ] = 200,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", "-c", help="Only this cluster (repeatable): a name or a folder.")
    ] = None,
    entry: Annotated[
        list[str] | None, typer.Option("--entry", "-e", help="Declare a cluster root, as for `kg load` (repeatable).")
    ] = None,
    repo_name: Annotated[
        str | None, typer.Option("--repo-name", help="Name of the repository [default: the folder name].")
    ] = None,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Render HelmRelease charts with helm.")] = True,
    offline: Annotated[
        bool, typer.Option("--offline", envvar="KG_OFFLINE", help="Render only the charts the chart cache holds.")
    ] = False,
    graph: Annotated[
        str | None,
        typer.Option(
            "--graph",
            envvar="KG_GRAPH",
            help="Its folder keeps the render cache and chart cache [default: .kg/graph]; no graph is written.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="Log on stderr (-v, -vv).")] = 0,
) -> None:
    """What a change to the Flux repository does, and what it can break, before it merges.

    Renders both sides as `kg load` does (a revision is read with `git archive` into a
    temporary folder: your checkout does not change) and compares them per cluster: Flux
    objects, workloads field by field (images, replicas, resources, env, mounts, probes),
    resolved configuration, secret lineage, dependsOn edges and cycles; each change with its
    blast radius in HEAD. Exit 0: no change; 1: changes; 10: a --fail-on policy matched;
    11: a side could not be rendered. Never shows a secret value."""
    from kg.diff import POLICIES, compare, failed_policies
    from kg.diff.output import Meta, print_table, to_json, to_markdown
    from kg.diff.sides import materialize
    from kg.errors import DIFF_CHANGES, POLICY_FAILED

    chosen = fmt or ("table" if sys.stdout.isatty() else "markdown")
    if chosen not in DIFF_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(DIFF_FORMATS)}, not {chosen!r}")
    policies = [p.strip() for p in (fail_on or "").split(",") if p.strip()]
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise UsageError(
            f"--fail-on: unknown polic{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; known: {', '.join(POLICIES)}"
        )
    try:
        import re

        re.compile(production)
    except re.error as exc:
        raise UsageError(f"--production: not a pattern: {exc}") from None
    if not directory.is_dir():
        raise UsageError(f"--dir {directory}: not a folder")
    name = repo_name or directory.resolve().name
    options = {
        "repo_name": name,
        "clusters": cluster or None,
        "entries": entry or None,
        "charts": charts,
        "chart_cache": chart_cache_dir(None, graph, None),
        "offline": offline,
        "render_cache": render_cache_dir(None, graph, None),
    }
    with _logging(verbose), contextlib.ExitStack() as stack:
        sides = [stack.enter_context(materialize(spec, directory)) for spec in (base, head)]
        graphs = list(zip(sides, _load_sides([s.path for s in sides], options, [s.label for s in sides])))
        for side, result in graphs:
            _log_load(result)
            logging.getLogger("kg.diff").info(
                "%s rendered in %.2f s", side.label, sum(v for k, v in result.timings.items() if k in LOAD_STAGES)
            )
        (base_side, base_result), (head_side, head_result) = graphs
        started = time.perf_counter()
        found = compare(base_result.graph, head_result.graph, production)
        log = logging.getLogger("kg.diff")
        log.info("compared in %.2f s: %d change(s)", time.perf_counter() - started, len(found.changes))
        if impact and found.changes:
            from kg.diff.impact import attach_impacts, scratch_graph

            started = time.perf_counter()
            with scratch_graph(head_result.graph, name) as store:
                log.info("HEAD written into a temporary embedded graph in %.2f s", time.perf_counter() - started)
                started = time.perf_counter()
                found.impacts_skipped = attach_impacts(store, found, head_result.graph, impact_limit)
                log.info("impact of %d change(s) in %.2f s", len(found.changes), time.perf_counter() - started)
    failed = failed_policies(found, policies)
    meta = Meta(base_side.label, head_side.label, name, tuple(failed))
    if chosen == "json":
        typer.echo(to_json(found, meta))
    elif chosen == "markdown":
        typer.echo(to_markdown(found, meta))
    else:
        from rich.console import Console

        print_table(Console(), found, meta)
    if failed:
        raise typer.Exit(POLICY_FAILED)
    if not found.empty:
        raise typer.Exit(DIFF_CHANGES)


# -- charts ----------------------------------------------------------------------
charts_app = typer.Typer(help="The Helm chart cache that `kg load` renders HelmReleases from.", no_args_is_help=True)
app.add_typer(charts_app, name="charts")


@charts_app.command("pull")
@handle_errors
def charts_pull(
    path: Annotated[Path, typer.Argument(help="The Flux repository (a checkout).", show_default=False)],
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", "-c", help="Only this cluster's charts (repeatable).")
    ] = None,
    entry: Annotated[
        list[str] | None,
        typer.Option("--entry", "-e", help="Declare a cluster root: PATH or PATH=CLUSTER (repeatable)."),
    ] = None,
    engine: EngineOpt = None,
    graph: GraphOpt = None,
    uri: UriOpt = None,
) -> None:
    """Fetch every chart the repository's HelmReleases use into the chart cache, so that
    `kg load --offline` (CI, air-gapped machines) renders them. Credentials come from your
    Helm and Docker configuration only; kg stores none. Exit 1 when a chart could not be had."""
    from kg.loaders import pull_charts

    cache = chart_cache_dir(engine, graph, uri)
    with loader_errors():
        pulled = pull_charts(path, clusters=cluster or None, entries=entry or None, chart_cache=cache)
    failed = 0
    for item in sorted(pulled, key=lambda p: (p.chart, p.version, p.source)):
        users = ", ".join(item.releases)
        if item.error:
            failed += 1
            typer.echo(f"failed  {item.error} (for {users})")
        else:
            state = "cached " if item.cached else "fetched"
            typer.echo(f"{state} {item.chart} {item.version} from {item.source} (for {users})")
    typer.echo(f"{len(pulled) - failed} chart(s) in {cache}, {failed} failed")
    if failed:
        raise typer.Exit(1)


# -- ask -------------------------------------------------------------------------
ask_app = typer.Typer(
    help="Answer an on-call question from the graph (one canned Cypher query each). `kg ask --list` lists them.",
    invoke_without_command=True,
)
app.add_typer(ask_app, name="ask")


@ask_app.callback()
def ask_root(
    ctx: typer.Context,
    list_questions: Annotated[bool, typer.Option("--list", help="List the questions, one line each.")] = False,
) -> None:
    if list_questions:
        from kg.questions import catalogue

        questions = catalogue()
        width = max(len(n) for n in questions)
        for name, question in questions.items():
            usage = f"{name} NAME" if question.takes_target else name
            typer.echo(f"{usage:<{width + 5}}  {question.summary}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


def _register_questions() -> None:
    from kg.questions import catalogue

    for question in catalogue().values():
        _register(question)


FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="table, json or csv [default: table on a terminal, json otherwise]")
]


def _answer(
    question_name: str,
    name: str | None,
    cluster: str | None,
    repo: str | None,
    fmt: str | None,
    evidence: bool,
    connection: Connection,
    key: str | None = None,
) -> None:
    from kg.questions import ask, render

    chosen = fmt or ("table" if sys.stdout.isatty() else "json")
    if chosen not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {chosen!r}")
    with connection.open() as store:
        answer = ask(store, question_name, name, cluster=cluster, repo=repo, key=key)
    if not answer.rows and chosen == "table":
        typer.echo(f"(no rows: {answer.empty_message})")
        return
    if chosen == "table":
        from rich.console import Console

        from kg.questions.terminal import print_answer

        # Rich finds the terminal's width and colours (none into a pipe: plain text)
        print_answer(Console(), answer, name, evidence)
        return
    typer.echo(render(answer, chosen))


def _register(question: "Question") -> None:
    details = [f"  {p}: {d}" for p, d in question.params.items()]
    epilog = "Columns: " + ", ".join(c for c in question.columns if c not in ("id", "parent_id"))
    if question.evidence:
        epilog += f"\n\nEvidence: {question.evidence}"
    if question.notes:
        epilog += "\n\n" + "\n".join(n for n in question.notes if n)
    if question.targets:
        epilog += (
            "\n\nNAME may be: "
            + ", ".join(question.targets)
            + " (name, kind/name, namespace/name or kind/namespace/name)."
        )

    def command(
        name: Annotated[
            str | None, typer.Argument(help=question.params.get("name", "target name"), show_default=False)
        ] = None,
        cluster: ClusterOpt = None,
        repo: RepoOpt = None,
        fmt: FormatOpt = None,
        evidence: EvidenceOpt = False,
        key: Annotated[
            str | None,
            typer.Option("--key", help=question.params.get("key", ""), show_default=False),
        ] = None,
        connection: Connection = Connection(),
    ) -> None:
        _answer(question.name, name, cluster, repo, fmt, evidence, connection, key)

    if question.takes_target:  # NAME is required
        name_param = (
            inspect.signature(command)
            .parameters["name"]
            .replace(
                default=inspect.Parameter.empty,
                annotation=Annotated[
                    str, typer.Argument(help=question.params.get("name", "target name"), show_default=False)
                ],
            )
        )
        params = [name_param] + [p for n, p in inspect.signature(command).parameters.items() if n != "name"]
    else:  # no NAME at all
        params = [p for n, p in inspect.signature(command).parameters.items() if n != "name"]
    if "key" not in question.params:  # --key only where the question's header declares it
        params = [p for p in params if p.name != "key"]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = question.summary + ("\n\n" + "\n".join(details) if details else "")
    ask_app.command(name=question.name, epilog=epilog)(handle_errors(with_connection(command)))


_register_questions()


# -- export ----------------------------------------------------------------------
@app.command()
@handle_errors
@with_connection
def export(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output directory (the skill folders go inside).", show_default=False)
    ],
    repo: RepoOpt = None,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", "-c", help="Only these clusters (repeatable).")
    ] = None,
    timestamp: Annotated[
        str | None,
        typer.Option(
            "--timestamp",
            help="generatedAt value (default: SOURCE_DATE_EPOCH, else the repository's last commit time).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 with a summary when OUT differs from what would be written, 0 when current.",
        ),
    ] = False,
    with_status: Annotated[
        bool,
        typer.Option(
            "--with-status",
            help="Add the loaded status snapshots (kg status load) to flux-resources.json: each cluster's snapshot time, counts, and what fails and why.",
        ),
    ] = False,
    connection: Connection = Connection(),
) -> None:
    """Write the flux-infra-guide skill from the graph: OUT/flux-infra-guide/SKILL.md,
    its data/{services,flux-resources,secrets-map,configmaps}.json, and
    OUT/flux-infra-guide-regenerate/SKILL.md.

    Every data file is validated against its JSON Schema first; on any failure
    nothing is written. Two exports of the same graph are byte-identical."""
    from kg.export import build_files, write_files
    from kg.export import check as check_files

    with connection.open() as store:
        files = build_files(store, repo, cluster or None, timestamp, with_status)
    if check:
        differences = check_files(out, files)
        if not differences:
            typer.echo(f"kg export --check: {out} is current ({len(files)} files)")
            return
        for line in differences:
            typer.echo(f"  {line}")
        typer.echo(
            f"kg export --check: {out} is stale: {len(differences)} of {len(files)} files differ; run `kg export --out {out}`"
        )
        raise typer.Exit(1)
    for path in write_files(out, files):
        typer.echo(f"wrote {path}")


# -- mcp -------------------------------------------------------------------------
@app.command("mcp")
@handle_errors
@with_connection
def mcp_command(
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            help="Serve streamable HTTP on HOST:PORT (or PORT: host 127.0.0.1) at /mcp instead of stdio. No authentication: keep it on loopback.",
            show_default=False,
        ),
    ] = None,
    skill: Annotated[
        Path | None,
        typer.Option(
            "--skill",
            help="A `kg export --out` folder: its SKILL.md files and data files become resources.",
            show_default=False,
        ),
    ] = None,
    row_cap: Annotated[int, typer.Option("--row-cap", min=1, help="The most rows any tool call returns.")] = 1000,
    cypher_timeout: Annotated[
        float, typer.Option("--cypher-timeout", min=0.1, help="Seconds a kg_cypher query may run.")
    ] = 10.0,
    connection: Connection = Connection(),
) -> None:
    """Serve the graph to AI assistants over the Model Context Protocol (read-only).

    One tool per `kg ask` question (the same rows as `kg ask NAME --format json`), plus
    kg_overview, kg_search and kg_cypher (read-only); the graph schema and, with --skill,
    the exported skill as resources; a debug-service prompt. Stdio by default: an MCP
    client starts `kg mcp` itself (README: Using kg from an AI assistant)."""
    if skill is not None and not skill.is_dir():
        raise UsageError(f"--skill {skill}: not a directory (write one with `kg export --out {skill}`)")
    if skill is not None and not any(skill.glob("**/SKILL.md")):
        typer.echo(f"kg mcp: warning: no SKILL.md under {skill}: run `kg export --out {skill}`", err=True)
    from kg.mcp_server import parse_http, serve  # the MCP SDK: only for this command

    if http is not None:
        try:
            parse_http(http)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    serve(connection.open, http=http, skill_dir=skill, row_cap=row_cap, cypher_timeout=cypher_timeout)


# -- status ----------------------------------------------------------------------
status_app = typer.Typer(
    help="The cluster's live Flux status on the graph (`kg ask why` reads it).", no_args_is_help=True
)
app.add_typer(status_app, name="status")


@status_app.command("load")
@handle_errors
@with_connection
def status_load(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="`kubectl get <kinds> -A -o json` (or -o yaml) output: a List or objects, gzip'd or not.",
            show_default=False,
        ),
    ] = None,
    cluster: Annotated[
        str,
        typer.Option(
            "--cluster",
            "-c",
            help="The graph's cluster the snapshot is of (as `kg load` named it).",
            show_default=False,
        ),
    ] = "",
    live: Annotated[
        bool, typer.Option("--live", help="Run `kubectl get ... -A -o json` now, with your kubeconfig (read-only).")
    ] = False,
    context: Annotated[
        str | None, typer.Option("--context", help="With --live: the kubeconfig context [default: the current one].")
    ] = None,
    repo: RepoOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    connection: Connection = Connection(),
) -> None:
    """Load a status snapshot of a cluster: each live Flux object and workload is matched
    to its graph node by kind, namespace and name; objects live but not in the repository,
    and in the repository but not live, are drift. Replaces the cluster's previous
    snapshot atomically. Secrets are never read."""
    from kg import status
    from kg.loaders.status import SnapshotError

    if not cluster:
        raise UsageError("--cluster NAME is needed: the graph's cluster the snapshot is of")
    if live == bool(files):
        raise UsageError("give snapshot FILEs or --live (one of the two)")
    if context and not live:
        raise UsageError("--context goes with --live")
    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    try:
        if live:
            objects, taken, source = (
                status.read_live(context),
                status.now(),
                f"kubectl --context {context}" if context else "kubectl",
            )
        else:
            missing = [str(f) for f in files or [] if not f.is_file()]
            if missing:
                raise UsageError(f"no such file: {', '.join(missing)}")
            objects = status.read_files(files or [])
            taken, source = status.snapshot_time(list(files or [])), ", ".join(str(f) for f in files or [])
    except SnapshotError as exc:
        raise KgError(str(exc)) from None
    with connection.open() as store:
        store.check_writable()
        result = status.load(store, cluster, objects, taken, source, repo)
    if fmt == "json":
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    typer.echo(
        f"Loaded the status of cluster {cluster} ({result['status_snapshot_at']}, from {source}): "
        f"{result['status_objects']} live objects, {result['status_matched']} matched, {result['status_failing_count']} failing, "
        f"drift: {result['status_live_only']} live only, {result['status_repo_only']} repo only"
    )
    typer.echo("Next: `kg ask why NAME`, `kg ask problems`")


def snapshot_age(taken: str | None) -> str:
    """'3 min ago', '2 h ago' for `kg db status`."""
    from datetime import datetime

    try:
        seconds = (datetime.now(UTC) - datetime.fromisoformat(str(taken))).total_seconds()
    except ValueError:
        return "age unknown"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{max(int(seconds), 0)} s ago"


# -- db --------------------------------------------------------------------------
@db_app.command("status")
@handle_errors
@with_connection
def db_status(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    connection: Connection = Connection(),
) -> None:
    """Which engine answers and where its graph is, the loaded repositories, and node/relationship counts per label/type."""
    with connection.open() as store:
        status = store.status()
    if fmt == "json":
        typer.echo(json.dumps(status, indent=2, default=str))
        return
    server = status["server"]
    if status["engine"] == "neo4j":
        typer.echo(
            f"engine neo4j: Neo4j {server.get('version', '?')} {server.get('edition', '')} at {status['address']}, database {status['database']}"
        )
    else:
        typer.echo(
            f"engine embedded: {server.get('name')} {server.get('version', '?')}, graph file {status['address']}"
        )
    for repo in status["repos"]:
        typer.echo(
            f"repo {repo['repo']}: clusters {', '.join(repo['clusters']) or '-'}; loaded {repo['loaded_at']} from {repo['path']}"
        )
    for snap in status.get("status_snapshots", []):
        typer.echo(
            f"status of cluster {snap['cluster']} ({snap['repo']}): snapshot {snap['snapshot_at']} ({snapshot_age(snap['snapshot_at'])}) from "
            f"{snap['source']}: {snap['objects']} objects, {snap['failing']} failing, drift {snap['live_only']} live only, "
            f"{snap['repo_only']} repo only"
        )
    total_nodes = sum(status["nodes"].values())
    total_rels = sum(status["relationships"].values())
    typer.echo(f"nodes: {total_nodes}")
    for label, n in status["nodes"].items():
        typer.echo(f"  {label:<22} {n:>8}")
    typer.echo(f"relationships: {total_rels}")
    for rel_type, n in status["relationships"].items():
        typer.echo(f"  {rel_type:<22} {n:>8}")


# -- browser ---------------------------------------------------------------------
@app.command("browser")
@handle_errors
def browser(
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Serve kg's guide and style on http://localhost:PORT for the Browser until Ctrl+C."
        ),
    ] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: any free port).")] = DEFAULT_GUIDE_PORT,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Also open the Browser link in the default web browser.")
    ] = False,
    style: Annotated[
        bool, typer.Option("--style", help="Print only the style as a :style command to paste into the Browser editor.")
    ] = False,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Service to explore (default: papi, from the example repository)."),
    ] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", "-c", help="Only this cluster.")] = None,
    repo: Annotated[str | None, typer.Option("--repo", help="Only this loaded repository.")] = None,
    browser_url: Annotated[
        str | None,
        typer.Option(
            "--browser-url",
            envvar="KG_BROWSER_URL",
            help="Neo4j Browser address (default: http://BOLT-HOST:NEO4J_HTTP_PORT/browser/, port 7474).",
            show_default=False,
        ),
    ] = None,
    uri: Annotated[
        str | None,
        typer.Option("--uri", envvar="NEO4J_URI", help="Bolt URI (default bolt://127.0.0.1:7687).", show_default=False),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", envvar="NEO4J_USER", help="Neo4j user (default neo4j).", show_default=False)
    ] = None,
) -> None:
    """Explore the graph in Neo4j Browser: the address, how to connect, kg's style and
    ready-to-paste queries (cypher/browser/explore.cypher); --serve adds a guide."""
    from kg import browser as neo4j_browser  # its HTML and HTTP parts: only for this command

    neo4j_browser.run(serve, port, open_browser, style, name, cluster, repo, browser_url, uri, user)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
