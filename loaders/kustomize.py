"""Building a Flux Kustomization's path with the real kustomize.

Flux works on the source *artifact*, not on the checkout: source-controller packs the
repository without ignored files (its default exclusions, `.sourceignore` files and
the GitRepository's `spec.ignore`), and kustomize-controller, for each Kustomization,
generates a kustomization file when the path has none, edits it with the CR's
targetNamespace, patches, images, ... and builds it with load restrictions off. We do
the same in a private workspace:

- the repository is copied once, as source-controller would pack it, into a tree
  per parallel worker (kustomization files are edited in place during a build);
- offline preparation: remote resources (which Flux would fetch) are removed and
  generator inputs that are missing get an empty placeholder, each with a warning;
- other trees (ExternalArtifacts assembled by an ArtifactGenerator) are laid out
  beside it from the prepared copy;
- `buildMetadata: [originAnnotations]` gives each object its source file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml

from .build_server import BuildServer
from .limits import BoundedRun, BuildLimits, LimitHit, interrupts_kill_children, run_bounded, tools_dir
from .model import LoadWarning, as_dict
from .render_cache import FORMAT as CACHE_FORMAT
from .render_cache import RenderCache, decode_build, encode_build, tool_version
from .yamlio import (
    ALIAS_REFUSED,
    ExcessiveAliasing,
    dump,
    excessive_aliasing_line,
    kubernetes_objects,
    load_documents_with_text,
    read_yaml_file,
    safe_load,
)

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
REPO_TREE = "repo"
# source-controller's default exclusions (fluxcd/pkg sourceignore)
DEFAULT_IGNORE = (
    ".git/",
    ".gitignore",
    ".gitmodules",
    ".gitattributes",
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
)
_REMOTE = re.compile(r"^(https?://|git@|ssh://|git::|(github|gitlab|bitbucket)\.(com|org)/)|\?ref=|\.git(//|$)")
_KLOG_PREFIX = re.compile(r'^[EWI]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=<?\s*')


# kustomize is a Go program, and most builds are small and short: with Go's default
# GOGC=100 a build spends about a quarter of its CPU time collecting garbage it would
# free by exiting. One-shot builds run with the collector off until the heap reaches
# GO_HEAP_MB (or half the memory limit, if lower), past which it collects. The build
# server (loaders/build_server.py) lives for the whole load, so it keeps the default
# collector, with half the memory limit as Go's soft limit. What the user sets in
# GOGC/GOMEMLIMIT is kept. Changes no output. 128 MiB: the corpora's largest build
# allocates ~300 MB in all (73 MB resident with the default collector, 141 MB with
# this), so a kustomize stays smaller than kg itself; a build whose live heap passes it
# collects more often than with the default.
GO_HEAP_MB = 128


def go_env(memory_mb: int | None, environ: dict[str, str] | None = None, serving: bool = False) -> dict[str, str]:
    """The environment kustomize runs with: this one, with the Go collector settings above."""
    env = dict(os.environ if environ is None else environ)
    if "GOGC" in env or "GOMEMLIMIT" in env:
        return env
    if serving:
        if memory_mb:
            env.update(GOMEMLIMIT=f"{max(memory_mb // 2, 16)}MiB")
    else:
        heap = GO_HEAP_MB if not memory_mb else min(GO_HEAP_MB, memory_mb // 2)
        env.update(GOGC="off", GOMEMLIMIT=f"{max(heap, 16)}MiB")
    return env


class KustomizeNotFound(RuntimeError):
    pass


KUSTOMIZE_LOCAL_VERSION = "v5.5.0"  # scripts/kustomize-local's default build
# scripts/kustomize-local also builds kustomize's build command as a long-lived server
# (loaders/build_server.py) into the same folder
BUILD_SERVER = "kg-kustomize-server"


def kustomize_command() -> list[str]:
    """KG_KUSTOMIZE (a whole command), else the build server scripts/kustomize-local
    keeps in the tools cache (the same kustomize, run once per load instead of once per
    build), else `kustomize build` from PATH, else the kustomize scripts/kustomize-local
    built, else `kubectl kustomize` (the same kustomize inside a larger program: ~50 ms
    more CPU and twice the memory a build); a clear error when there is none."""
    override = os.environ.get("KG_KUSTOMIZE")
    if override:
        return override.split()
    built = local_kustomize_dir()
    if os.access(built / BUILD_SERVER, os.X_OK):
        return [str(built / BUILD_SERVER), "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if os.access(built / "kustomize", os.X_OK):
        return [str(built / "kustomize"), "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise KustomizeNotFound(
        "neither `kustomize` nor `kubectl` is on PATH: install one of them (or run scripts/kustomize-local "
        "install) to render Flux Kustomizations"
    )


def local_kustomize_dir() -> Path:
    """The folder scripts/kustomize-local builds kustomize and kg-kustomize-server into."""
    return tools_dir() / f"kustomize-{KUSTOMIZE_LOCAL_VERSION}"


def is_build_server(command: list[str]) -> bool:
    """Whether `command` is kg's kustomize build server (it then serves every build of a
    worker from one process; it also runs a single command line like the CLI)."""
    return Path(command[0]).name == BUILD_SERVER


def find_kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


@dataclass
class BuildResult:
    objects: list[tuple[dict[str, Any], str, str]]  # (object, repo-relative source file, generator kind)
    warnings: list[LoadWarning]
    error: str = ""
    seconds: float = 0.0  # time spent in kustomize
    limit_hit: LimitHit | None = None  # kustomize was stopped by a limit (then `error` says so)
    # each object's YAML as kustomize printed it (None: not one document of its own), which
    # post-build substitution works on as Flux does; empty: none known
    texts: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class BuildLimitHit:
    """A build stopped by a limit: the path built (repo-relative) and the limit."""

    path: str
    hit: LimitHit

    def __str__(self) -> str:
        return f"{self.path or '.'}: {self.hit}"


# -- what source-controller would pack ------------------------------------------------
def _scoped(pattern: str, domain: str) -> str:
    """A pattern of `<domain>/.sourceignore`, rewritten relative to the root."""
    if not domain:
        return pattern
    negate, body = (True, pattern[1:]) if pattern.startswith("!") else (False, pattern)
    anchored = "/" in body.rstrip("/")
    body = f"{domain}/{body.lstrip('/')}" if anchored else f"{domain}/**/{body}"
    return ("!" if negate else "") + body


def ignore_spec(repo_root: Path, extra: str | None = None) -> pathspec.GitIgnoreSpec:
    """Flux's exclusions: defaults, every `.sourceignore` (scoped to its folder), and
    the GitRepository's `spec.ignore`, later patterns winning as in gitignore."""
    lines = list(DEFAULT_IGNORE)
    for current, dirnames, filenames in os.walk(repo_root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        ignore_file = Path(current) / ".sourceignore"
        if ".sourceignore" in filenames and ignore_file.resolve().is_relative_to(repo_root.resolve()):
            domain = Path(current).relative_to(repo_root).as_posix()
            domain = "" if domain == "." else domain
            for line in ignore_file.read_text(errors="replace").splitlines():
                if line.strip() and not line.startswith("#"):
                    lines.append(_scoped(line.rstrip(), domain))
    for line in (extra or "").splitlines():
        if line.strip() and not line.startswith("#"):
            lines.append(line.rstrip())
    return pathspec.GitIgnoreSpec.from_lines(lines)


_NO_LINKS = {errno.EXDEV, errno.EROFS, errno.EPERM, errno.EACCES, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP}


def copy_source(repo_root: Path, target: Path, spec: pathspec.GitIgnoreSpec) -> list[LoadWarning]:
    """Lay out the files Flux would pack. Links that leave the repository are refused.
    Files are hard links to the repository's where the file system allows (a sixth of
    the time of copying on joryirving's 1,166 files), except kustomization files, which
    the offline preparation rewrites in place: kg never writes into another file of a
    workspace, it replaces the ones it changes (_rewrite, _write_new), so the
    repository is never written through a link."""
    warnings: list[LoadWarning] = []
    root = repo_root.resolve()
    target.mkdir(parents=True, exist_ok=True)
    linking = True
    for current, dirnames, filenames in os.walk(repo_root):
        here = Path(current)
        rel_here = here.relative_to(repo_root).as_posix()
        rel_here = "" if rel_here == "." else rel_here
        kept = []
        for d in sorted(dirnames):
            rel = f"{rel_here}/{d}" if rel_here else d
            if spec.match_file(rel + "/"):
                continue
            if (here / d).is_symlink():
                target_dir = (here / d).resolve()
                if not target_dir.is_relative_to(root):
                    warnings.append(LoadWarning(rel, None, "symbolic link out of the repository: not followed"))
                continue  # links inside the repo: the real folder is copied anyway
            kept.append(d)
        dirnames[:] = kept
        for filename in filenames:
            rel = f"{rel_here}/{filename}" if rel_here else filename
            if spec.match_file(rel):
                continue
            source = here / filename
            if source.is_symlink() and not source.resolve().is_relative_to(root):
                warnings.append(LoadWarning(rel, None, "symbolic link out of the repository: not read"))
                continue
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            if linking and filename not in KUSTOMIZATION_FILES:
                try:
                    os.link(source, destination)
                    continue
                except OSError as exc:
                    # another file system, or links refused: copy from here on (a file that
                    # cannot be read gets its warning from the copy)
                    linking = exc.errno not in _NO_LINKS
            try:
                shutil.copyfile(source, destination)
            except OSError as exc:
                warnings.append(LoadWarning(rel, None, f"cannot read file: {exc.strerror or exc}"))
    return warnings


def _write_new(path: Path, data: bytes) -> None:
    """Write a file kg adds to a workspace, replacing (never writing through) whatever
    is there: a file of the workspace may be a hard link to the repository's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _rewrite(path, data)


def _offline_generator_entry(
    entry: Any, kdir: Path, tree: Path, rel_file: str, generator: str, warnings: list[LoadWarning]
) -> bool:
    """Make one configMapGenerator/secretGenerator entry buildable offline: a remote file
    source becomes an empty local placeholder, a missing local input an empty file.
    Returns True when the entry was rewritten."""
    if not isinstance(entry, dict):
        return False
    changed = False
    files = entry.get("files")
    if not isinstance(files, list):
        files = []
    for i, item in enumerate(files):
        if not isinstance(item, str):
            continue
        key, sep, path = item.partition("=")
        path = path if sep else item
        if _REMOTE.search(path):
            placeholder = f".kg-offline/{re.sub(r'[^A-Za-z0-9._-]', '_', path)[-80:]}"
            _write_new(kdir / placeholder, b"")
            files[i] = f"{key if sep else _url_basename(path)}={placeholder}"
            warnings.append(
                LoadWarning(
                    rel_file, None, f"{generator} remote file {path} not fetched: rendered empty (kg renders offline)"
                )
            )
            changed = True
            continue
        _placeholder_if_missing(kdir, tree, path, rel_file, generator, warnings)
    envs = list(entry.get("envs") or []) + ([entry["env"]] if isinstance(entry.get("env"), str) else [])
    for path in envs:
        if isinstance(path, str) and not _REMOTE.search(path):
            _placeholder_if_missing(kdir, tree, path, rel_file, generator, warnings)
    return changed


def _url_basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "file"


def _placeholder_if_missing(
    kdir: Path, tree: Path, path: str, rel_file: str, generator: str, warnings: list[LoadWarning]
) -> None:
    target = (kdir / path).resolve()
    if not target.is_relative_to(tree.resolve()):
        warnings.append(LoadWarning(rel_file, None, f"{generator} input {path} is outside the repository: refused"))
        return
    if not target.exists():
        _write_new(target, b"")
        warnings.append(
            LoadWarning(
                rel_file, None, f"{generator} input {path} is missing: rendered empty (Flux would fail to build it)"
            )
        )


# kustomization fields holding file paths: kustomize builds with load restrictions off
# (as Flux does), so any of them could read a file outside the repository
_PATH_LISTS = (
    "resources",
    "bases",
    "components",
    "crds",
    "configurations",
    "transformers",
    "generators",
    "validators",
    "patchesStrategicMerge",
)
_PATH_ITEMS = ("patches", "patchesJson6902", "replacements")  # lists of {path: ...}


def _outside(kdir: Path, root: Path, entry: str) -> bool:
    """Whether a local path of a kustomization in `kdir` leaves `root`. Lexical: the
    workspace holds no symbolic links (copy_source copies files, never links)."""
    if _REMOTE.search(entry.strip()) or "\n" in entry:  # remote (handled offline) or an inline document
        return False
    target = os.path.normpath(os.path.join(kdir, entry.strip()))
    return os.path.commonpath([target, os.path.normpath(root)]) != os.path.normpath(root)


def refuse_outside(content: dict[str, Any], kdir: Path, root: Path, rel_file: str, warnings: list[LoadWarning]) -> bool:
    """Drop every path of a kustomization that points outside the repository (`../..`
    past its root, absolute paths), one warning each: such a file is never read.
    Returns True when the kustomization changed."""
    changed = False

    def refused(field_name: str, entry: str) -> bool:
        nonlocal changed
        if not _outside(kdir, root, entry):
            return False
        warnings.append(
            LoadWarning(
                rel_file, None, f"{field_name} entry {entry!r} points outside the repository: refused, not read"
            )
        )
        changed = True
        return True

    for field_name in _PATH_LISTS:
        if isinstance(content.get(field_name), list):
            content[field_name] = [
                e for e in content[field_name] if not (isinstance(e, str) and refused(field_name, e))
            ]
    for field_name in _PATH_ITEMS:
        if isinstance(content.get(field_name), list):
            content[field_name] = [
                e
                for e in content[field_name]
                if not (isinstance(e, dict) and isinstance(e.get("path"), str) and refused(field_name, e["path"]))
            ]
    for generator in ("configMapGenerator", "secretGenerator"):
        for entry in content.get(generator) or [] if isinstance(content.get(generator), list) else []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("files"), list):
                entry["files"] = [
                    f
                    for f in entry["files"]
                    if not (isinstance(f, str) and refused(generator, f.partition("=")[2] or f))
                ]
            if isinstance(entry.get("envs"), list):
                entry["envs"] = [f for f in entry["envs"] if not (isinstance(f, str) and refused(generator, f))]
            if isinstance(entry.get("env"), str) and refused(generator, entry["env"]):
                del entry["env"]
    for field_name, holder, key in (
        ("openapi", content.get("openapi"), "path"),
        ("helmGlobals", content.get("helmGlobals"), "chartHome"),
    ):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and refused(field_name, holder[key]):
            del holder[key]
    for chart in content.get("helmCharts") or [] if isinstance(content.get("helmCharts"), list) else []:
        if isinstance(chart, dict):
            if isinstance(chart.get("valuesFile"), str) and refused("helmCharts", chart["valuesFile"]):
                del chart["valuesFile"]
            if isinstance(chart.get("additionalValuesFiles"), list):
                chart["additionalValuesFiles"] = [
                    f for f in chart["additionalValuesFiles"] if not (isinstance(f, str) and refused("helmCharts", f))
                ]
    return changed


def prepare_offline(tree: Path) -> list[LoadWarning]:
    """Make every kustomization buildable offline, reporting each change: remote
    resources are removed (Flux fetches them; kg renders without network) and missing
    generator inputs get an empty placeholder (kustomize would fail on them)."""
    warnings: list[LoadWarning] = []
    for current, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for filename in filenames:
            if filename not in KUSTOMIZATION_FILES:
                continue
            kfile = Path(current) / filename
            rel_file = kfile.relative_to(tree).as_posix()
            try:
                content = safe_load(kfile.read_text(errors="replace"))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                warnings.append(
                    LoadWarning(
                        rel_file,
                        mark.line + 1 if mark else None,
                        f"invalid kustomization file: {getattr(exc, 'problem', exc)}",
                    )
                )
                continue
            if not isinstance(content, dict):
                continue
            changed = False
            for field_name in ("resources", "bases", "components"):
                entries = content.get(field_name)
                if not isinstance(entries, list):
                    continue
                kept = []
                for entry in entries:
                    if isinstance(entry, str) and _REMOTE.search(entry.strip()):
                        warnings.append(
                            LoadWarning(
                                rel_file,
                                None,
                                f"remote {field_name[:-1]} {entry} not fetched (kg renders offline; Flux would fetch it)",
                            )
                        )
                        changed = True
                    else:
                        kept.append(entry)
                content[field_name] = kept
            changed |= refuse_outside(content, Path(current), tree, rel_file, warnings)
            for generator in ("configMapGenerator", "secretGenerator"):
                entries = content.get(generator)
                for entry in entries if isinstance(entries, list) else []:
                    changed |= _offline_generator_entry(entry, Path(current), tree, rel_file, generator, warnings)
            if changed:
                kfile.write_text(yaml.safe_dump(content, sort_keys=False))
    return warnings


# -- trees other than the repository (ExternalArtifacts) ---------------------------
@dataclass
class Tree:
    """A directory builds read from, and how its paths map back onto the repository."""

    name: str
    files: dict[str, str] = field(default_factory=dict)  # tree path -> repo path (empty: identity)
    dirs: dict[str, str] = field(default_factory=dict)  # tree dir prefix -> repo dir prefix

    def repo_path(self, path: str) -> str:
        if not self.files and not self.dirs:
            return path
        if path in self.files:
            return self.files[path]
        for prefix in sorted(self.dirs, key=len, reverse=True):
            if path == prefix or path.startswith(prefix + "/") or prefix == "":
                rest = path[len(prefix) :].lstrip("/")
                base = self.dirs[prefix]
                return f"{base}/{rest}".strip("/") if rest else base
        return f"{self.name}:{path}"


def _link_or_copy(source: str, destination: str) -> None:
    """A worker copy's file: a hard link to the first copy's (no data copied), or a copy
    where the file system has no hard links."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _rewrite(path: Path, data: bytes) -> None:
    """Give a workspace file new content as a new file: the worker copies share their
    files as hard links, so writing in place would change the file in every copy."""
    fresh = path.with_name(f".{path.name}.kg-{threading.get_ident()}")
    fresh.write_bytes(data)
    os.replace(fresh, path)


class Workspace:
    """The prepared source trees of one cluster, with one copy per parallel worker."""

    def __init__(
        self,
        repo_root: Path,
        ignore: str | None = None,
        workers: int = 1,
        limits: BuildLimits | None = None,
        cache: RenderCache | None = None,
    ):
        self.repo_root = repo_root.resolve()
        self.render_cache = cache  # builds kept across loads (loaders/render_cache.py)
        self._file_hashes: dict[str, str] = {}
        # every kustomize run is bounded (KG_BUILD_TIMEOUT, KG_BUILD_MEMORY_MB): one hostile
        # file must not hang the load; the builds a limit stopped are listed for the summary
        limit_problems: list[str] = []
        if limits is None:
            limits, limit_problems = BuildLimits.from_env()
        self.limits = limits
        self._command = kustomize_command()
        serving = is_build_server(self._command)
        self._env = go_env(limits.memory_mb, serving=serving)
        self.limit_hits: list[BuildLimitHit] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="kg-render-")
        base = Path(self._tmp.name)
        first = base / "w0"
        self.warnings = copy_source(self.repo_root, first / REPO_TREE, ignore_spec(self.repo_root, ignore))
        self.warnings.extend(LoadWarning("", None, problem) for problem in limit_problems)
        # about kustomization files; worth reporting only for those a build can reach
        self.offline_warnings = prepare_offline(first / REPO_TREE)
        self.trees: dict[str, Tree] = {REPO_TREE: Tree(REPO_TREE)}
        self._slots: queue.Queue[Path] = queue.Queue()
        self._copies = [first]
        for i in range(1, max(1, workers)):
            copy = base / f"w{i}"
            # hard links, not copies: a build replaces the one file it writes (_rewrite)
            shutil.copytree(first, copy, symlinks=True, copy_function=_link_or_copy)
            self._copies.append(copy)
        for copy in self._copies:
            self._slots.put(copy)
        # one build server per worker copy, started by its first build
        self._servers = (
            {copy: BuildServer(self._command[:1], copy, limits, self._env) for copy in self._copies} if serving else {}
        )
        self._cache: dict[tuple[str, str, str], Future[BuildResult]] = {}
        self._cache_lock = threading.Lock()
        # limit hits of each build, published (limit_hits) once a build is asked for
        # for real: a build run ahead of the walk that the walk never asks for is not reported
        self._claimed: set[tuple[str, str, str]] = set()
        self._unpublished: dict[tuple[str, str, str], list[BuildLimitHit]] = {}
        self._running = threading.local()
        self.kustomize_seconds = 0.0
        # (tree, tree-relative file) -> the aliasing refusal of a file builds read, or None;
        # kustomization files also keep their content, to follow what they reference
        self._input_checks: dict[tuple[str, str], tuple[LoadWarning | None, dict[str, Any]]] = {}
        # children lead their own process groups: Ctrl-C must still stop them (loaders/limits.py)
        self._exit_stack = ExitStack()
        self._exit_stack.enter_context(interrupts_kill_children())

    @property
    def workers(self) -> int:
        return len(self._copies)

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._exit_stack.close()
        self._tmp.cleanup()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- trees -----------------------------------------------------------------------
    def repo_dir_exists(self, rel_dir: str) -> bool:
        return (self._copies[0] / REPO_TREE / rel_dir).is_dir()

    def repo_files(self) -> list[str]:
        root = self._copies[0] / REPO_TREE
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def add_tree(self, tree: Tree) -> None:
        """Lay out an artifact tree (tree path -> repo path) in every worker copy."""
        for copy in self._copies:
            for tree_path, repo_path in tree.files.items():
                destination = copy / _tree_dir(tree.name) / tree_path
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(copy / REPO_TREE / repo_path, destination)
        self.trees[tree.name] = tree

    def tree_dir_exists(self, tree: str, rel_dir: str) -> bool:
        return (self._copies[0] / _tree_dir(tree) / rel_dir).is_dir()

    # -- builds ----------------------------------------------------------------------
    @staticmethod
    def build_key(tree: str, rel_dir: str, flux_spec: dict[str, Any]) -> tuple[str, str, str]:
        """What decides a build's output: the tree, the path and the CR's overlay fields."""
        return (tree, rel_dir, _canonical({k: flux_spec.get(k) for k in OVERLAY_FIELDS}))

    def build(self, tree: str, rel_dir: str, flux_spec: dict[str, Any], ahead: bool = False) -> BuildResult:
        """Build `rel_dir` of a tree with the Flux CR's spec applied. The same build asked
        twice (same tree, path and overlay) runs once. `ahead`: run before the walk asks
        for it (loaders/render.py); its limit hits are reported once `claim`ed."""
        key = self.build_key(tree, rel_dir, flux_spec)
        with self._cache_lock:
            known = self._cache.get(key)
            owner = known is None
            future: Future[BuildResult] = Future() if known is None else known
            if owner:
                self._cache[key] = future
        if not ahead:
            self.claim(key)
        if owner:
            slot = self._slots.get()
            hits: list[BuildLimitHit] = []
            self._running.hits = hits
            try:
                future.set_result(self._build(slot, tree, rel_dir, flux_spec))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                future.set_exception(exc)
            finally:
                self._slots.put(slot)
                with self._cache_lock:
                    if key in self._claimed:
                        self.limit_hits.extend(hits)
                    else:
                        self._unpublished[key] = hits
        return future.result()

    def claim(self, key: tuple[str, str, str]) -> None:
        """The walk asks for this build: its limit hits count from now on."""
        with self._cache_lock:
            self._claimed.add(key)
            self.limit_hits.extend(self._unpublished.pop(key, []))

    def _build(self, copy: Path, tree_name: str, rel_dir: str, flux_spec: dict[str, Any]) -> BuildResult:
        tree = self.trees[tree_name]
        tree_root = copy / _tree_dir(tree_name)
        warnings: list[LoadWarning] = []
        directory = tree_root / rel_dir
        if not directory.is_dir():
            return BuildResult([], warnings, f"path not found: {tree.repo_path(rel_dir) if rel_dir else '.'}")
        found = find_kustomization_file(directory)
        created = found is None
        kfile = directory / "kustomization.yaml" if found is None else found
        original = b"" if created else kfile.read_bytes()
        if created:
            resources, gen_warnings = generate_resources(directory, tree_root)
            warnings.extend(LoadWarning(tree.repo_path(w.file), w.line, w.reason) for w in gen_warnings)
            content: dict[str, Any] = {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            }
        else:
            try:
                content = safe_load(original) or {}
            except ExcessiveAliasing as exc:
                rel_kfile = tree.repo_path(kfile.relative_to(tree_root).as_posix())
                warnings.append(
                    LoadWarning(
                        rel_kfile,
                        exc.problem_mark.line + 1 if exc.problem_mark else None,
                        f"{ALIAS_REFUSED}: kustomize is not run on it",
                    )
                )
                return BuildResult([], warnings, f"kustomization file {rel_kfile}: {ALIAS_REFUSED}")
            except yaml.YAMLError as exc:
                return BuildResult(
                    [],
                    warnings,
                    f"invalid kustomization file {tree.repo_path(kfile.relative_to(tree_root).as_posix())}: {exc}",
                )
            if not isinstance(content, dict):
                return BuildResult(
                    [],
                    warnings,
                    f"kustomization file {tree.repo_path(kfile.relative_to(tree_root).as_posix())} is not a mapping",
                )
        # the Flux CR's components are paths too (its own file's were checked when prepared)
        cr_paths = {"components": list(flux_spec.get("components") or [])}
        if refuse_outside(cr_paths, directory, tree_root, tree.repo_path(rel_dir), warnings):
            flux_spec = dict(flux_spec, components=cr_paths["components"])
        apply_flux_spec(content, flux_spec)
        refused = self._refuse_aliasing(tree, tree_root, directory, content, created, warnings)
        if refused:
            return BuildResult([], warnings, f"not run: it reads {refused}, {ALIAS_REFUSED}")
        cache_key = self._cache_key(tree_root, directory, rel_dir, content, created) if tree_name == REPO_TREE else None
        # the warnings so far are this run's (file checks, the generated kustomization); the
        # cache keeps those of the build itself
        checked = len(warnings)
        if cache_key is not None and self.render_cache is not None:
            entry = self.render_cache.get(cache_key)
            if entry is not None:
                objects, cached_warnings, error, texts = decode_build(entry)
                return BuildResult(objects, warnings + cached_warnings, error, texts=texts)
        try:
            _rewrite(kfile, dump(content).encode())
            result = self._run(copy, tree, directory, rel_dir, warnings)
            # a build stopped by a limit is not retried file by file: that would multiply the wait
            if created and result.error and not result.limit_hit:
                result = self._without_unbuildable(copy, tree, directory, rel_dir, kfile, content, warnings) or result
            if cache_key is not None and self.render_cache is not None and not result.limit_hit:
                built = result.warnings[checked:] if result.warnings is warnings else result.warnings
                self.render_cache.put(cache_key, encode_build(result.objects, built, result.error, result.texts))
            return result
        finally:
            if created:
                kfile.unlink(missing_ok=True)
            else:
                kfile.write_bytes(original)

    def _without_unbuildable(
        self,
        copy: Path,
        tree: Tree,
        directory: Path,
        rel_dir: str,
        kfile: Path,
        content: dict[str, Any],
        warnings: list[LoadWarning],
    ) -> BuildResult | None:
        """A generated kustomization failed to build: find the files that kustomize cannot
        build even alone (duplicate keys, objects without a name, wrong field types...),
        leave them out with one warning each, as for files Flux cannot decode, and build
        the rest. None when no file alone is to blame (then the failure stands)."""
        unbuildable = []
        for resource in content.get("resources") or []:
            kfile.write_text(
                yaml.safe_dump(
                    {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": [resource]}
                )
            )
            alone = self._run(copy, tree, directory, rel_dir, [])
            if alone.error:
                unbuildable.append((resource, alone.error))
        if not unbuildable:
            return None
        left_out = {resource for resource, _ in unbuildable}
        kfile.write_text(
            yaml.safe_dump(
                dict(content, resources=[r for r in content["resources"] if r not in left_out]), sort_keys=False
            )
        )
        result = self._run(copy, tree, directory, rel_dir, warnings)
        if result.error:
            return None
        tree_root = copy / _tree_dir(tree.name)
        for resource, error in unbuildable:
            rel = tree.repo_path((directory / resource).resolve().relative_to(tree_root.resolve()).as_posix())
            result.warnings.append(
                LoadWarning(rel, None, f"left out of the generated kustomization: kustomize cannot build it ({error})")
            )
        return result

    def _run(self, copy: Path, tree: Tree, directory: Path, rel_dir: str, warnings: list[LoadWarning]) -> BuildResult:
        args = ["--load-restrictor", "LoadRestrictionsNone", str(directory)]
        proc: BoundedRun
        if self._servers:
            proc = self._servers[copy].run(self._command[1:] + args)
        else:
            proc = run_bounded(self._command + args, copy, self.limits.timeout_s, self.limits.memory_mb, env=self._env)
        if proc.interrupted:  # Ctrl-C killed it: the load stops, this build is not retried
            raise KeyboardInterrupt
        seconds = proc.seconds
        with self._cache_lock:
            self.kustomize_seconds += seconds
        if proc.limit_hit:
            self._running.hits.append(BuildLimitHit(tree.repo_path(rel_dir), proc.limit_hit))
        if proc.limit_hit:
            return BuildResult([], warnings, f"kustomize {proc.limit_hit}", seconds, proc.limit_hit)
        if proc.returncode != 0:
            return BuildResult([], warnings, clean_error(proc.stderr, copy, tree), seconds)
        docs, doc_warnings = load_documents_with_text(proc.stdout, tree.repo_path(rel_dir))
        warnings.extend(doc_warnings)
        text_of = {id(doc): text for _line, doc, text in docs}  # not the items of a `kind: List`
        objs, _ = kubernetes_objects([(line, doc) for line, doc, _text in docs], tree.repo_path(rel_dir))
        out, texts = [], []
        for _line, obj in objs:
            texts.append(text_of.get(id(obj)))
            source_file, generator = pop_origin(obj, rel_dir)
            out.append((obj, source_file if "//" in source_file else tree.repo_path(source_file), generator))
        return BuildResult(out, warnings, "", seconds, texts=texts)

    # -- the render cache's key ----------------------------------------------------------
    def _cache_key(
        self, tree_root: Path, directory: Path, rel_dir: str, content: dict[str, Any], created: bool
    ) -> str | None:
        """What decides the build's output, hashed (loaders/render_cache.py); None: no cache."""
        if self.render_cache is None:
            return None
        try:
            files = build_inputs(tree_root, directory, content, generated=created)
            digest = hashlib.sha256()
            for part in (
                CACHE_FORMAT,
                tool_version(tuple(self._command), self._version_output),
                rel_dir,
                str(created),
                _canonical(content),
            ):
                digest.update(part.encode() + b"\0")
            for rel in sorted(files):
                digest.update(rel.encode() + b"\0" + self._file_hash(tree_root, rel).encode() + b"\0")
            return digest.hexdigest()
        except (OSError, ValueError, yaml.YAMLError, RecursionError):
            return None

    def _version_output(self, args: list[str]) -> str:
        """`kustomize version`, bounded like every build (a hung tool must not hang kg)."""
        proc = run_bounded(args, None, min(30.0, self.limits.timeout_s or 30.0), self.limits.memory_mb)
        if proc.interrupted:
            raise KeyboardInterrupt
        return proc.stdout if proc.returncode == 0 and not proc.limit_hit else f"(no version: exit {proc.returncode})"

    def _file_hash(self, tree_root: Path, rel: str) -> str:
        """A file's content hash, once per load (every worker copy holds the same files;
        a build hashes before it writes its own kustomization)."""
        found = self._file_hashes.get(rel)
        if found is None:
            found = hashlib.sha256((tree_root / rel).read_bytes()).hexdigest()
            self._file_hashes[rel] = found
        return found

    # -- what a build reads: refused before kustomize runs ------------------------------
    def _refuse_aliasing(
        self,
        tree: Tree,
        tree_root: Path,
        directory: Path,
        content: dict[str, Any],
        generated: bool,
        warnings: list[LoadWarning],
    ) -> str:
        """Check what a build would have kustomize parse for excessive aliasing (kustomize
        would expand it for minutes, gigabytes). A generated kustomization leaves out the
        subfolders that read such a file, as it leaves out files Flux cannot decode (its own
        files were checked by generate_resources); anything else refused fails the build.
        Returns the refused file that fails it, or ""; one warning per refused file."""
        if generated:
            kept = []
            for resource in content.get("resources") or []:
                subfolder = (directory / resource).is_dir()  # its files: checked by generate_resources
                found = self._refused_inputs(tree, tree_root, directory, {"resources": [resource]}) if subfolder else []
                warnings.extend(
                    LoadWarning(
                        w.file,
                        w.line,
                        f"{w.reason}: {resource} is left out of the generated "
                        "kustomization (kustomize would expand it without bound)",
                    )
                    for w in found
                )
                if not found:
                    kept.append(resource)
            content["resources"] = kept
        refused = self._refused_inputs(tree, tree_root, directory, content)
        warnings.extend(LoadWarning(w.file, w.line, f"{w.reason}: kustomize is not run on it") for w in refused)
        return refused[0].file if refused else ""

    def _refused_inputs(
        self, tree: Tree, tree_root: Path, directory: Path, content: dict[str, Any]
    ) -> list[LoadWarning]:
        """The files (and inline patches) that a kustomization in `directory`, and every
        kustomization it references, make kustomize parse and that alias past the bound."""
        refused: list[LoadWarning] = []
        directory, root = Path(os.path.normpath(directory)), Path(os.path.normpath(tree_root))
        visited = {directory}  # the build's own folder: its kustomization is `content`
        # (folder, its kustomization, where to report an inline patch)
        pending: list[tuple[Path, dict[str, Any], str]] = [(directory, content, tree.repo_path(_rel(directory, root)))]
        while pending:
            here, kustomization, where = pending.pop()
            paths, inline = kustomization_inputs(kustomization)
            refused.extend(
                LoadWarning(where, None, f"inline patch: {ALIAS_REFUSED}")
                for text in inline
                if excessive_aliasing_line(text) is not None
            )
            for entry in paths:
                target = Path(os.path.normpath(here / entry))
                if target in visited or not target.is_relative_to(root):
                    continue  # seen, or outside (refused when prepared)
                visited.add(target)
                if target.is_dir():
                    kfile = find_kustomization_file(target)
                    if kfile is None:
                        continue  # kustomize reports it
                    problem, nested = self._input_check(tree, tree_root, kfile, kustomization_file=True)
                    if problem is None:
                        pending.append((target, nested, tree.repo_path(_rel(kfile, tree_root))))
                elif target.is_file():
                    problem, _ = self._input_check(tree, tree_root, target)
                else:
                    continue
                if problem is not None:
                    refused.append(problem)
        return refused

    def _input_check(
        self, tree: Tree, tree_root: Path, path: Path, kustomization_file: bool = False
    ) -> tuple[LoadWarning | None, dict[str, Any]]:
        """(refusal or None, content for a kustomization file) of one file a build reads,
        remembered: workspace copies hold the same files, and a file is read once."""
        rel = _rel(path, tree_root)
        key = (tree.name, rel)
        if key not in self._input_checks:
            text = path.read_text(encoding="utf-8", errors="replace")
            problem_line: int | None = None
            content: dict[str, Any] = {}
            try:
                loaded = safe_load(text) if kustomization_file else None
                content = loaded if isinstance(loaded, dict) else {}
                if not kustomization_file:
                    problem_line = excessive_aliasing_line(text)  # composes only: builds nothing
            except ExcessiveAliasing as exc:
                problem_line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            except yaml.YAMLError:  # kustomize reports the error; it may still hold a bomb
                problem_line = excessive_aliasing_line(text)
            problem = None if problem_line is None else LoadWarning(tree.repo_path(rel), problem_line, ALIAS_REFUSED)
            self._input_checks[key] = (problem, content)
        return self._input_checks[key]


def _canonical(value: Any) -> str:
    """One text per value, for keys and hashes (JSON: PyYAML's pure-Python dumper took
    ~2 ms a build for this)."""
    return json.dumps(value, sort_keys=True, default=str)


def _rel(path: Path, tree_root: Path) -> str:
    rel = os.path.relpath(path, tree_root).replace(os.sep, "/")
    return "" if rel == "." else rel


def kustomization_inputs(content: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What a kustomization makes kustomize parse as YAML: (local paths, inline patches).
    Generator inputs (files, env files) are data, not parsed: not listed."""
    paths: list[str] = []
    inline: list[str] = []

    def add(entry: Any) -> None:
        if not isinstance(entry, str) or not entry.strip():
            return
        if "\n" in entry:
            inline.append(entry)  # a patchesStrategicMerge entry can be the patch itself
        elif not _REMOTE.search(entry.strip()):
            paths.append(entry.strip())

    for field_name in _PATH_LISTS:
        for entry in _as_list(content.get(field_name)):
            add(entry)
    for field_name in _PATH_ITEMS:
        for entry in _as_list(content.get(field_name)):
            if isinstance(entry, dict):
                add(entry.get("path"))
                if isinstance(entry.get("patch"), str):
                    inline.append(entry["patch"])
    openapi = content.get("openapi")
    if isinstance(openapi, dict):
        add(openapi.get("path"))
    for chart in _as_list(content.get("helmCharts")):
        if isinstance(chart, dict):
            add(chart.get("valuesFile"))
            for values_file in _as_list(chart.get("additionalValuesFiles")):
                add(values_file)
    return paths, inline


def generator_inputs(content: dict[str, Any]) -> list[str]:
    """The files configMapGenerator/secretGenerator entries read (`files`, `envs`, `env`)."""
    paths = []
    for field_name in ("configMapGenerator", "secretGenerator"):
        for generator in _as_list(content.get(field_name)):
            if not isinstance(generator, dict):
                continue
            entries = _as_list(generator.get("files")) + _as_list(generator.get("envs")) + [generator.get("env")]
            for entry in entries:
                if isinstance(entry, str) and entry.strip() and not _REMOTE.search(entry.strip()):
                    paths.append(entry.split("=", 1)[-1].strip())
    return paths


def build_inputs(tree_root: Path, directory: Path, content: dict[str, Any], generated: bool = False) -> set[str]:
    """Every file (tree-relative) a build of `directory` with this kustomization can read:
    every file of each folder it reaches, and each file it names; for a generated
    kustomization, every file below the folder (Flux's generator walks it). Generous on
    purpose: a file too many costs a rebuild, a file too few a stale answer."""
    root = Path(os.path.normpath(tree_root))
    files: set[str] = set()
    if generated:
        for folder, _dirs, names in os.walk(directory):
            files.update(_rel(Path(folder) / name, root) for name in names)
    visited: set[Path] = set()
    pending: list[tuple[Path, dict[str, Any]]] = [(Path(os.path.normpath(directory)), content)]
    while pending:
        here, kustomization = pending.pop()
        if here in visited:
            continue
        visited.add(here)
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.is_file():
                    files.add(_rel(Path(entry.path), root))
        paths, _ = kustomization_inputs(kustomization)
        for referenced in paths + generator_inputs(kustomization):
            target = Path(os.path.normpath(here / referenced))
            if not target.is_relative_to(root):
                continue  # outside: refused when prepared
            if target.is_dir():
                kfile = find_kustomization_file(target)
                nested: Any = {}
                if kfile is not None:
                    try:
                        nested = safe_load(kfile.read_text(encoding="utf-8", errors="replace"))
                    except (yaml.YAMLError, ExcessiveAliasing):
                        nested = {}  # kustomize fails on it: the file itself is in the key
                pending.append((target, nested if isinstance(nested, dict) else {}))
            elif target.is_file():
                files.add(_rel(target, root))
    return files


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# the Kustomization CR fields that change a build's output
OVERLAY_FIELDS = (
    "targetNamespace",
    "namePrefix",
    "nameSuffix",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "images",
    "components",
    "commonMetadata",
)


def _tree_dir(tree: str) -> str:
    return REPO_TREE if tree == REPO_TREE else "trees/" + re.sub(r"[^A-Za-z0-9._-]", "_", tree)


def clean_error(stderr: str, copy: Path, tree: Tree) -> str:
    """kustomize's error in one readable line, with repo-relative paths."""
    # kustomize prints deprecation notes ("# Warning: ...") before the error
    text = " ".join(line.strip() for line in stderr.strip().splitlines() if not line.startswith("# Warning"))
    text = _KLOG_PREFIX.sub("", text).rstrip(" >")
    tree_root = str(copy / _tree_dir(tree.name))
    text = text.replace(tree_root + "/", "").replace(tree_root, ".").replace(str(copy) + "/", "")
    text = text.replace("Error: ", "")
    # the chain "accumulating resources ...: <cause>": keep what was accumulated and the cause
    if len(text) > 400:
        text = text[:150] + " … " + text[-240:]
    return text or "kustomize failed"


def pop_origin(obj: dict[str, Any], rel_dir: str) -> tuple[str, str]:
    """Read and remove kustomize's origin annotation: (tree-relative file, generator kind)."""
    metadata = as_dict(obj.get("metadata"))
    annotations = as_dict(metadata.get("annotations"))
    origin_text = annotations.pop(ORIGIN_ANNOTATION, None)
    if "annotations" in metadata and not annotations:
        del metadata["annotations"]
    if not origin_text:
        return rel_dir, ""
    try:
        origin = safe_load(origin_text) or {}  # libyaml: yaml.safe_load's pure-Python reader took 0.5 ms an object
    except yaml.YAMLError:
        return rel_dir, ""
    if origin.get("repo"):
        return f"{origin.get('repo')}//{origin.get('path', '')}", ""
    configured_by = origin.get("configuredBy") or {}
    if origin.get("configuredIn"):
        path = origin["configuredIn"]
        generator = configured_by.get("kind", "") if isinstance(configured_by, dict) else ""
    else:
        path, generator = origin.get("path", ""), ""
    return os.path.normpath(os.path.join(rel_dir, path)).replace(os.sep, "/"), generator


def generate_resources(directory: Path, root: Path) -> tuple[list[str], list[LoadWarning]]:
    """Flux's generated kustomization: subfolders holding a kustomization file become
    resources (not descended into); other .yaml/.yml files are included. Files that
    are not Kubernetes YAML would fail Flux's build: we leave them out with a warning."""
    resources: list[str] = []
    warnings: list[LoadWarning] = []
    for current, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        here = Path(current)
        if here != directory and find_kustomization_file(here):
            resources.append("./" + here.relative_to(directory).as_posix())
            dirnames[:] = []
            continue
        for filename in sorted(filenames):
            if not filename.endswith((".yaml", ".yml")) or (here == directory and filename in KUSTOMIZATION_FILES):
                continue
            path = here / filename
            rel = path.relative_to(root).as_posix()
            docs, doc_warnings = read_yaml_file(path, rel)
            objs, obj_warnings = kubernetes_objects(docs, rel)
            if doc_warnings or obj_warnings:
                # one warning per bad document, saying what happens to the file
                warnings.extend(
                    LoadWarning(
                        w.file,
                        w.line,
                        f"{w.reason}: file left out of the generated kustomization "
                        + (
                            "(kustomize would expand it without bound)"
                            if w.reason == ALIAS_REFUSED
                            else "(Flux cannot decode it as Kubernetes YAML)"
                        ),
                    )
                    for w in doc_warnings + obj_warnings
                )
                continue
            if objs:
                resources.append("./" + path.relative_to(directory).as_posix())
    return resources, warnings


def apply_flux_spec(content: dict[str, Any], spec: dict[str, Any]) -> None:
    """Edit a kustomization the way kustomize-controller's generator does."""
    if spec.get("targetNamespace"):
        content["namespace"] = spec["targetNamespace"]
    for field_name in ("namePrefix", "nameSuffix"):
        if spec.get(field_name):
            content[field_name] = spec[field_name]
    for patch in spec.get("patches") or []:
        if isinstance(patch, dict):
            entry = {k: v for k, v in patch.items() if k in ("patch", "target") and v}
            content.setdefault("patches", []).append(entry)
    for patch in spec.get("patchesStrategicMerge") or []:
        content.setdefault("patchesStrategicMerge", []).append(yaml.safe_dump(patch))
    for patch in spec.get("patchesJson6902") or []:
        if isinstance(patch, dict):
            content.setdefault("patchesJson6902", []).append(
                {"target": patch.get("target"), "patch": yaml.safe_dump(patch.get("patch"))}
            )
    images: list[Any] = content.setdefault("images", []) if spec.get("images") else []
    for image in spec.get("images") or []:
        if not isinstance(image, dict):
            continue
        existing = [i for i, old in enumerate(images) if isinstance(old, dict) and old.get("name") == image.get("name")]
        if existing:
            images[existing[0]] = image
        else:
            images.append(image)
    for component in spec.get("components") or []:
        content.setdefault("components", []).append(component)
    common = spec.get("commonMetadata")
    if isinstance(common, dict):
        if common.get("labels"):
            content.setdefault("labels", []).append({"pairs": common["labels"], "includeSelectors": False})
        if common.get("annotations"):
            content.setdefault("commonAnnotations", {}).update(common["annotations"])
    build_metadata = content.setdefault("buildMetadata", [])
    if "originAnnotations" not in build_metadata:
        build_metadata.append("originAnnotations")
