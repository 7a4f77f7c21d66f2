"""Flux repository -> GraphDoc records. Pure Python: reads files and runs kustomize,
knows nothing about databases.

    result = load_repo(Path("examples/platform"))
    result.graph      # GraphDoc
    result.warnings   # one LoadWarning per problem in the input
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kg.graphdoc import GraphDoc

from .discover import discover_clusters, entry_for_path
from .extract import extract_cluster
from .kustomize import kustomize_command
from .model import ClusterRender, LoadWarning
from .render import render_clusters

__all__ = ["LoadResult", "LoadError", "load_repo", "discover_clusters"]


class LoadError(Exception):
    """Nothing usable could be loaded (no repository, no cluster, no kustomize)."""


@dataclass
class ClusterSummary:
    name: str
    kustomizations: int
    kustomizations_failed: int
    helm_releases: int
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


def _git(path: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _select(path: Path, repo: str, entries: list, wanted: list[str]) -> list:
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


Progress = Callable[[str], None]


def load_repo(
    path: Path, repo_name: str | None = None, clusters: list[str] | None = None, progress: Progress | None = None
) -> LoadResult:
    """Render every cluster of the repository (or the named ones) and extract its graph.
    `progress` receives short status lines while rendering (for a terminal display)."""
    path = Path(path)
    if not path.is_dir():
        raise LoadError(f"{path}: not a directory")
    repo = repo_name or path.resolve().name
    kustomize_command()  # fail early and clearly when kustomize is missing
    timings: dict[str, float] = {}
    start = time.perf_counter()
    entries, warnings = discover_clusters(path, repo)
    if clusters:
        entries = _select(path, repo, entries, clusters)
        warnings = [w for w in warnings if w.cluster in {e.name for e in entries}]
    if not entries:
        raise LoadError(
            f"{path}: no Flux cluster entry point found (a GitRepository and the Kustomization that syncs from it, "
            "as in clusters/<name>/flux-system/gotk-sync.yaml)"
        )
    timings["discover"] = time.perf_counter() - start

    start = time.perf_counter()
    renders: list[ClusterRender] = []
    for render, stage_timings in render_clusters(entries, path, progress=progress):
        renders.append(render)
        for stage, seconds in stage_timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
    timings["render"] = time.perf_counter() - start

    start = time.perf_counter()
    gd = GraphDoc()
    gd.add_node("Repo", repo, name=repo, kind="Repo", repo=repo, path=str(path))
    summaries = []
    for render in renders:
        stats, extract_warnings = extract_cluster(repo, render, gd)
        cluster_warnings = render.warnings + extract_warnings
        warnings.extend(cluster_warnings)
        ks = render.kustomizations.values()
        prefix = f"{repo}:{render.name}/"
        summaries.append(
            ClusterSummary(
                name=render.name,
                kustomizations=len(ks),
                kustomizations_failed=sum(1 for k in ks if k.render_error),
                helm_releases=sum(1 for n in gd.by_label("HelmRelease") if n.id.startswith(prefix) and not n.props.get("missing")),
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
    )
