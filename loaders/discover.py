"""Finding the clusters of a repository: each flux-system entry point (a GitRepository
and the root Kustomization that syncs from it, as `flux bootstrap` writes them to
`clusters/<name>/flux-system/gotk-sync.yaml`)."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import FLUX_SOURCE_GROUP, LoadWarning, api_group, is_flux_kustomization, meta, normalize_repo_path
from .yamlio import kubernetes_objects, read_yaml_file

SKIP_DIRS = {".git", ".github", ".hg", ".svn", "node_modules", ".terraform"}
# Entry points are small files; anything bigger is not a gotk-sync file.
MAX_ENTRY_FILE_BYTES = 256 * 1024


@dataclass
class ClusterEntry:
    name: str
    root_file: str  # repo-relative
    kustomization: dict[str, Any]
    git_repository: dict[str, Any] | None


def iter_yaml_files(root: Path):
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for filename in sorted(filenames):
            if filename.endswith((".yaml", ".yml")):
                yield Path(current) / filename


def _cluster_name(kustomization: dict[str, Any], rel_file: str) -> str:
    norm = normalize_repo_path(str((kustomization.get("spec") or {}).get("path") or ""))
    if norm:
        return posixpath.basename(norm)
    parent = posixpath.dirname(rel_file)
    if posixpath.basename(parent) == "flux-system":
        parent = posixpath.dirname(parent)
    return posixpath.basename(parent) or "default"


def _is_bootstrap_root(kustomization: dict[str, Any], rel_file: str) -> bool:
    """A cluster's root Kustomization applies its own definition: its path is a folder
    that holds the entry file (clusters/x syncs clusters/x/flux-system/gotk-sync.yaml).
    This tells a bootstrap root from an app's GitRepository + Kustomization pair."""
    if meta(kustomization).get("name") == "flux-system":
        return True
    path = normalize_repo_path(str((kustomization.get("spec") or {}).get("path") or ""))
    return bool(path) and rel_file.startswith(path.rstrip("/") + "/")


def discover_clusters(repo_root: Path) -> tuple[list[ClusterEntry], list[LoadWarning]]:
    """Every file holding a Flux Kustomization together with the GitRepository it syncs
    from is a cluster entry point. Names come from the root Kustomization's path."""
    entries: list[ClusterEntry] = []
    warnings: list[LoadWarning] = []
    for path in iter_yaml_files(repo_root):
        try:
            if path.stat().st_size > MAX_ENTRY_FILE_BYTES:
                continue
        except OSError:
            continue
        rel = path.relative_to(repo_root).as_posix()
        docs, _ = read_yaml_file(path, rel)  # broken files are reported by rendering
        objs, _ = kubernetes_objects(docs, rel)
        repos = {
            (meta(o).get("namespace") or "", meta(o).get("name")): o
            for _, o in objs
            if o.get("kind") == "GitRepository" and api_group(o) == FLUX_SOURCE_GROUP
        }
        for _, obj in objs:
            if not is_flux_kustomization(obj):
                continue
            source_ref = (obj.get("spec") or {}).get("sourceRef") or {}
            if source_ref.get("kind", "GitRepository") != "GitRepository":
                continue
            namespace = meta(obj).get("namespace") or ""
            git_repo = repos.get((source_ref.get("namespace") or namespace, source_ref.get("name")))
            if git_repo is None or not _is_bootstrap_root(obj, rel):
                continue
            entries.append(ClusterEntry(_cluster_name(obj, rel), rel, obj, git_repo))
    seen: dict[str, ClusterEntry] = {}
    for entry in entries:
        if entry.name in seen:
            warnings.append(
                LoadWarning(entry.root_file, None, f"second entry point for cluster {entry.name!r} ignored (first: {seen[entry.name].root_file})")
            )
            continue
        seen[entry.name] = entry
    return list(seen.values()), warnings
