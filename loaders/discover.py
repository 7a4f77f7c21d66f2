"""Finding the clusters of a repository.

A cluster entry point is what `flux bootstrap` writes: a GitRepository and the root
Kustomization that syncs from it (`clusters/<name>/flux-system/gotk-sync.yaml`). Rules:

1. A file holding a Flux Kustomization and the GitRepository it syncs from is an entry
   point when the Kustomization applies its own definition (its path is a folder that
   holds the file) or is named `flux-system`. This tells a bootstrap root from an
   application's GitRepository + Kustomization pair.
2. A `flux-system` folder whose kustomization lists `gotk-sync.yaml`/`gotk-components.yaml`
   but holds no such pair (the sync file is generated at bootstrap and not committed)
   is an entry point too: kg assumes the root `flux bootstrap` writes, a Kustomization
   `flux-system` syncing the parent folder from the GitRepository `flux-system`.
3. `--cluster PATH` names a folder: the entry point found in it, or else a root
   Kustomization syncing that folder, as in rule 2.

The cluster is named after its folder (the root's path), unless that name is generic
(`flux`, `cluster`, `kubernetes`, ...), then after the root Kustomization, then the repo.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .kustomize import find_kustomization_file
from .model import FLUX_SOURCE_GROUP, LoadWarning, api_group, is_flux_kustomization, meta, normalize_repo_path
from .yamlio import kubernetes_objects, read_yaml_file

SKIP_DIRS = {".git", ".github", ".hg", ".svn", "node_modules", ".terraform"}
# Entry points are small files; anything bigger is not a gotk-sync file.
MAX_ENTRY_FILE_BYTES = 256 * 1024
GENERIC_NAMES = {"", ".", "flux", "flux-system", "cluster", "clusters", "kubernetes", "k8s", "gitops", "deploy", "manifests"}
BOOTSTRAP_FILES = ("gotk-sync.yaml", "gotk-components.yaml")


@dataclass
class ClusterEntry:
    name: str
    root_file: str  # repo-relative
    kustomization: dict[str, Any]
    git_repository: dict[str, Any] | None
    assumed: bool = False  # the root was not in the repo: kg assumed flux bootstrap's


def inside(path: Path, repo_root: Path) -> bool:
    """Whether a path, symbolic links followed, stays in the repository."""
    return path.resolve().is_relative_to(repo_root.resolve())


def iter_yaml_files(root: Path, repo_root: Path | None = None):
    """YAML files under `root` (os.walk does not enter linked folders); files that are
    links leaving the repository are skipped, never read (rendering reports them)."""
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for filename in sorted(filenames):
            path = Path(current) / filename
            if filename.endswith((".yaml", ".yml")) and (not path.is_symlink() or inside(path, repo_root or root)):
                yield path


def cluster_name(kustomization: dict[str, Any], rel_file: str, repo_name: str) -> str:
    path = normalize_repo_path(str((kustomization.get("spec") or {}).get("path") or "")) or ""
    if not path:
        path = posixpath.dirname(rel_file)
        if posixpath.basename(path) == "flux-system":
            path = posixpath.dirname(path)
    name = posixpath.basename(path)
    if name.lower() not in GENERIC_NAMES:
        return name
    ks_name = str(meta(kustomization).get("name") or "")
    if ks_name and ks_name != "flux-system":
        return ks_name
    return repo_name or "default"


def _is_bootstrap_root(kustomization: dict[str, Any], rel_file: str) -> bool:
    if meta(kustomization).get("name") == "flux-system":
        return True
    path = normalize_repo_path(str((kustomization.get("spec") or {}).get("path") or ""))
    return bool(path) and rel_file.startswith(path.rstrip("/") + "/")


def assumed_root(cluster_dir: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The GitRepository and Kustomization `flux bootstrap` writes for a cluster folder."""
    git_repository = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"interval": "1m0s", "ref": {"branch": "main"}, "url": ""},
    }
    kustomization = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {
            "interval": "10m0s",
            "path": f"./{cluster_dir}" if cluster_dir else "./",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }
    return git_repository, kustomization


def _entries_in_file(path: Path, rel: str, repo_name: str) -> list[ClusterEntry]:
    try:
        if path.stat().st_size > MAX_ENTRY_FILE_BYTES:
            return []
    except OSError:
        return []
    docs, _ = read_yaml_file(path, rel)  # broken files are reported by rendering
    objs, _ = kubernetes_objects(docs, rel)
    repos = {
        (str(meta(o).get("namespace") or ""), str(meta(o).get("name"))): o
        for _, o in objs
        if o.get("kind") == "GitRepository" and api_group(o) == FLUX_SOURCE_GROUP
    }
    entries = []
    for _, obj in objs:
        if not is_flux_kustomization(obj):
            continue
        source_ref = (obj.get("spec") or {}).get("sourceRef") or {}
        if not isinstance(source_ref, dict) or source_ref.get("kind", "GitRepository") != "GitRepository":
            continue
        namespace = meta(obj).get("namespace") or ""
        git_repo = repos.get((str(source_ref.get("namespace") or namespace), str(source_ref.get("name"))))
        if git_repo is None or not _is_bootstrap_root(obj, rel):
            continue
        entries.append(ClusterEntry(cluster_name(obj, rel, repo_name), rel, obj, git_repo))
    return entries


def _placeholder_entry(flux_system_dir: Path, repo_root: Path, repo_name: str) -> ClusterEntry | None:
    """Rule 2: a flux-system folder of flux bootstrap whose sync file is not committed."""
    kfile = find_kustomization_file(flux_system_dir)
    if kfile is None or not inside(kfile, repo_root):
        return None
    listed = kfile.read_text(errors="replace")
    if not any(name in listed for name in BOOTSTRAP_FILES):
        return None
    cluster_dir = flux_system_dir.parent.relative_to(repo_root).as_posix()
    cluster_dir = "" if cluster_dir == "." else cluster_dir
    git_repository, kustomization = assumed_root(cluster_dir)
    root_file = (flux_system_dir / "gotk-sync.yaml").relative_to(repo_root).as_posix()
    return ClusterEntry(cluster_name(kustomization, root_file, repo_name), root_file, kustomization, git_repository, assumed=True)


def discover_clusters(repo_root: Path, repo_name: str = "") -> tuple[list[ClusterEntry], list[LoadWarning]]:
    entries: list[ClusterEntry] = []
    warnings: list[LoadWarning] = []
    flux_system_dirs: list[Path] = []
    for path in iter_yaml_files(repo_root):
        rel = path.relative_to(repo_root).as_posix()
        if path.parent.name == "flux-system" and path.parent not in flux_system_dirs:
            flux_system_dirs.append(path.parent)
        entries.extend(_entries_in_file(path, rel, repo_name))
    covered = {posixpath.dirname(e.root_file) for e in entries}
    for directory in flux_system_dirs:
        rel_dir = directory.relative_to(repo_root).as_posix()
        if rel_dir in covered:
            continue
        entry = _placeholder_entry(directory, repo_root, repo_name)
        if entry is not None:
            entries.append(entry)
            warnings.append(
                LoadWarning(
                    entry.root_file, None,
                    f"no bootstrap GitRepository/Kustomization committed in {rel_dir}: assumed flux bootstrap's "
                    f"(Kustomization flux-system syncing {entry.kustomization['spec']['path']})",
                    entry.name,
                )
            )
    return _unique(entries, warnings), warnings


def _unique(entries: list[ClusterEntry], warnings: list[LoadWarning]) -> list[ClusterEntry]:
    seen: dict[str, ClusterEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.assumed, e.root_file)):
        if entry.name in seen:
            other = seen[entry.name]
            if other.root_file != entry.root_file:
                # two roots with one name: qualify the later one with its folder
                entry.name = f"{entry.name}@{posixpath.dirname(entry.root_file)}"
            else:
                continue
        seen[entry.name] = entry
    return sorted(seen.values(), key=lambda e: e.name)


def entry_for_path(repo_root: Path, cluster_path: str, repo_name: str) -> ClusterEntry | None:
    """Rule 3: the entry point of a folder given by the user (None if outside the repo)."""
    rel = normalize_repo_path(cluster_path)
    if rel is None or not (repo_root / rel).is_dir() or not inside(repo_root / rel, repo_root):
        return None
    for path in iter_yaml_files(repo_root / rel, repo_root):
        found = _entries_in_file(path, path.relative_to(repo_root).as_posix(), repo_name)
        if found:
            return found[0]
    git_repository, kustomization = assumed_root(rel)
    root_file = f"{rel}/flux-system/gotk-sync.yaml" if rel else "flux-system/gotk-sync.yaml"
    return ClusterEntry(cluster_name(kustomization, root_file, repo_name), root_file, kustomization, git_repository, assumed=True)
