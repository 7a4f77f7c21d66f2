"""Flux repository -> GraphDoc records. Pure Python: reads files and runs kustomize,
knows nothing about databases.

    result = load_repo(Path("examples/platform"))
    result.graph      # GraphDoc
    result.warnings   # one LoadWarning per problem in the input
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.graphdoc import GraphDoc

from .discover import ClusterEntry, discover_clusters, entry_for_path
from .extract import extract_cluster
from .flux_operator import HOW_ENTRY
from .kustomize import kustomize_command
from .model import ClusterRender, LoadWarning, without_credentials
from .releases import render_releases
from .render import default_workers, render_clusters
from .render_cache import RenderCache, open_cache

if TYPE_CHECKING:
    from .helm import ChartPull

__all__ = ["LoadResult", "LoadError", "load_repo", "pull_charts", "discover_clusters"]


class LoadError(Exception):
    """Nothing usable could be loaded (no repository, no cluster, no kustomize)."""


@dataclass
class ClusterSummary:
    name: str
    entry_point: str  # how the cluster's root was found: bootstrap file, FluxInstance, --entry, fallback, ...
    entry_file: str  # the file (or folder) that declares it
    kustomizations: int
    kustomizations_failed: int
    helm_releases: int
    charts_rendered: int  # HelmReleases whose chart was rendered with helm
    limits_hit: list[str]  # builds stopped by KG_BUILD_TIMEOUT / KG_BUILD_MEMORY_MB: "path: limit"
    workloads: int
    objects: int
    objects_modelled: int
    warnings: int


@dataclass
class LoadResult:
    repo: str
    path: Path
    graph: GraphDoc
    clusters: list[ClusterSummary]
    warnings: list[LoadWarning]
    renders: list[ClusterRender] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    git_revision: str = ""
    git_commit_time: str = ""
    git_subdir: str = ""  # the repository's folder relative to the top of its git checkout ("." at the top)
    git_remote: str = ""  # the checkout's remote URL (credentials removed), "" when none
    render_cache: dict[str, int] = field(default_factory=dict)  # hits, misses, stored, pruned
    kustomize: str = ""  # the command that rendered: "kubectl kustomize", or a kustomize's path and "build"


def _git(path: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def git_location(path: Path) -> tuple[str, str]:
    """(folder relative to the top of the git checkout, remote URL without credentials):
    what an export may say about where the repository lives, unlike the local path.
    Outside git: (".", "")."""
    prefix = _git(path, "rev-parse", "--show-prefix")
    inside = _git(path, "rev-parse", "--is-inside-work-tree") == "true"
    subdir = prefix.rstrip("/") or "."
    remotes = _git(path, "remote").split() if inside else []
    remote = ""
    if remotes:
        chosen = "origin" if "origin" in remotes else sorted(remotes)[0]
        remote = without_credentials(_git(path, "remote", "get-url", chosen))
    return (subdir if inside else "."), remote


def _select(path: Path, repo: str, entries: list[ClusterEntry], wanted: list[str]) -> list[ClusterEntry]:
    """--cluster values: cluster names, or folders of the repository (rule 3 of discover)."""
    by_name = {e.name: e for e in entries}
    chosen = []
    for value in wanted:
        if value in by_name:
            chosen.append(by_name[value])
            continue
        entry = entry_for_path(path, value, repo)
        if entry is None:
            found = ", ".join(sorted(by_name)) or "none"
            raise LoadError(f"cluster {value!r} is neither a cluster of {path} (found: {found}) nor a folder in it")
        chosen.append(by_name.get(entry.name, entry))
    return list({e.name: e for e in chosen}.values())


def _declared(path: Path, repo: str, entries: list[str]) -> list[ClusterEntry]:
    """--entry PATH[=CLUSTER] values: roots declared by the user, nothing discovered."""
    chosen = []
    for value in entries:
        folder, _, name = value.partition("=")
        entry = entry_for_path(path, folder, repo, how=HOW_ENTRY, cluster=name.strip() or None)
        if entry is None:
            raise LoadError(f"--entry {value!r}: {folder!r} is not a folder of {path}")
        entry.how = HOW_ENTRY if entry.assumed else f"{entry.how} (--entry)"
        chosen.append(entry)
    names = [e.name for e in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise LoadError(
            f"--entry: cluster name(s) {', '.join(twice)} given to several roots: name them with PATH=CLUSTER"
        )
    return chosen


Progress = Callable[[str], None]


def load_repo(
    path: Path,
    repo_name: str | None = None,
    clusters: list[str] | None = None,
    progress: Progress | None = None,
    entries: list[str] | None = None,
    charts: bool = True,
    chart_cache: Path | None = None,
    offline: bool | None = None,
    render_cache: Path | None = None,
) -> LoadResult:
    """Render every cluster of the repository (or the named ones) and extract its graph.
    `entries` (`PATH` or `PATH=CLUSTER`) declare the roots instead of discovering them.
    `charts`: render HelmReleases with helm (the chart cache is `chart_cache`, else
    KG_CHART_CACHE, else ~/.cache/flux-kg/charts; `offline` renders only what it holds;
    None: KG_OFFLINE=1 says so). `render_cache`: the folder of kustomize builds kept across
    loads (loaders/render_cache.py; KG_RENDER_CACHE overrides it, `off` disables it).
    `progress` receives short status lines while rendering (for a terminal display)."""
    path = Path(path)
    repo = repo_name or path.resolve().name
    timings: dict[str, float] = {}
    cache = open_cache(render_cache)
    found, renders, warnings = _render(path, repo, clusters, entries, progress, timings, cache)
    by_name = {e.name: e for e in found}

    start = time.perf_counter()
    chart_warnings: dict[str, list[LoadWarning]] = {}
    if charts:
        from .helm import HelmRenderer, find_helm

        if offline is None:
            offline = os.environ.get("KG_OFFLINE") == "1"
        renderer = HelmRenderer(find_helm(), chart_cache, offline=offline, workers=default_workers())
        for render in renders:
            if progress:
                progress(f"cluster {render.name}: rendering HelmRelease charts")
            chart_warnings[render.name] = render_releases(render, path, renderer)
        timings["helm"] = renderer.helm_seconds
    timings["charts"] = time.perf_counter() - start
    result = _extract(path, repo, renders, by_name, warnings, chart_warnings, timings)
    if cache is not None:
        result.render_cache = dict(cache.stats(), pruned=cache.prune())
    result.kustomize = " ".join(kustomize_command())
    return result


def pull_charts(
    path: Path,
    repo_name: str | None = None,
    clusters: list[str] | None = None,
    entries: list[str] | None = None,
    chart_cache: Path | None = None,
    progress: Progress | None = None,
) -> list[ChartPull]:
    """Fill the chart cache with every chart the repository's HelmReleases use (`kg charts
    pull`), so a later `kg load --offline` renders them. Returns one ChartPull per chart."""
    from .helm import HelmRenderer, find_helm
    from .releases import pull_releases

    path = Path(path)
    _, renders, _ = _render(path, repo_name or path.resolve().name, clusters, entries, progress, {})
    renderer = HelmRenderer(find_helm(), chart_cache, offline=False, workers=default_workers())
    return [pulled for render in renders for pulled in pull_releases(render, path, renderer)]


def _render(
    path: Path,
    repo: str,
    clusters: list[str] | None,
    entries: list[str] | None,
    progress: Progress | None,
    timings: dict[str, float],
    cache: RenderCache | None = None,
) -> tuple[list[ClusterEntry], list[ClusterRender], list[LoadWarning]]:
    """The clusters' entry points and their rendered Kustomization trees."""
    if not path.is_dir():
        raise LoadError(f"{path}: not a directory")
    kustomize_command()  # fail early and clearly when kustomize is missing
    start = time.perf_counter()
    if entries:
        found, warnings = _declared(path, repo, entries), list[LoadWarning]()
    else:
        found, warnings = discover_clusters(path, repo)
    if clusters:
        found = _select(path, repo, found, clusters)
        warnings = [w for w in warnings if w.cluster in {e.name for e in found}]
    if not found:
        raise LoadError(
            f"{path}: no Flux cluster entry point found: no bootstrap files (clusters/<name>/flux-system/gotk-sync.yaml), "
            "no FluxInstance, and no Flux Kustomization to start from; name the root folder with --entry PATH"
        )
    timings["discover"] = time.perf_counter() - start

    start = time.perf_counter()
    renders: list[ClusterRender] = []
    for render, stage_timings in render_clusters(found, path, progress=progress, cache=cache):
        renders.append(render)
        for stage, seconds in stage_timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
    timings["render"] = time.perf_counter() - start
    return found, renders, warnings


def _extract(
    path: Path,
    repo: str,
    renders: list[ClusterRender],
    by_name: dict[str, ClusterEntry],
    warnings: list[LoadWarning],
    chart_warnings: dict[str, list[LoadWarning]],
    timings: dict[str, float],
) -> LoadResult:
    """The GraphDoc of the rendered clusters, with a summary per cluster."""
    start = time.perf_counter()
    gd = GraphDoc()
    git_subdir, git_remote = git_location(path)
    gd.add_node(
        "Repo", repo, name=repo, kind="Repo", repo=repo, path=str(path), git_subdir=git_subdir, git_remote=git_remote
    )
    summaries = []
    for render in renders:
        stats, extract_warnings = extract_cluster(repo, render, gd, path)
        cluster_warnings = render.warnings + chart_warnings.get(render.name, []) + extract_warnings
        warnings.extend(cluster_warnings)
        ks = render.kustomizations.values()
        prefix = f"{repo}:{render.name}/"
        summaries.append(
            ClusterSummary(
                name=render.name,
                entry_point=by_name[render.name].how,
                entry_file=by_name[render.name].root_file,
                kustomizations=len(ks),
                kustomizations_failed=sum(1 for k in ks if k.render_error),
                helm_releases=sum(
                    1 for n in gd.by_label("HelmRelease") if n.id.startswith(prefix) and not n.props.get("missing")
                ),
                charts_rendered=sum(1 for r in render.releases.values() if not r.error),
                limits_hit=render.limit_hits,
                workloads=sum(1 for n in gd.by_label("Workload") if n.id.startswith(prefix)),
                objects=stats["objects"],
                objects_modelled=stats["modelled"],
                warnings=len(cluster_warnings),
            )
        )
    gd.finalize()
    timings["extract"] = time.perf_counter() - start
    if not any(s.kustomizations > s.kustomizations_failed for s in summaries):
        problems = "; ".join(str(w) for w in warnings[:3])
        raise LoadError(f"{path}: no Kustomization could be rendered ({problems})")
    return LoadResult(
        repo=repo,
        path=path,
        graph=gd,
        clusters=summaries,
        warnings=sorted(set(warnings), key=lambda w: (w.cluster, w.file, w.line or 0, w.reason)),
        renders=renders,
        timings=timings,
        git_revision=_git(path, "rev-parse", "HEAD"),
        git_commit_time=_git(path, "log", "-1", "--format=%cI"),
        git_subdir=git_subdir,
        git_remote=git_remote,
    )
