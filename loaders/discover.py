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

4. A FluxInstance (Flux Operator), as a manifest, as the values of a `flux-instance`
   HelmRelease, or in a bootstrap helmfile when no HelmRelease holds it
   (loaders/flux_operator.py): its `spec.sync` gives the root source and path.
5. `--entry PATH[=CLUSTER]`: a root syncing PATH, declared by the user.
6. With none of these: the folders holding Flux Kustomizations that no other
   Kustomization's path applies, one cluster each, with a warning (the fallback).

The cluster is named after its folder (the root's path), unless that name is generic
(`flux`, `cluster`, `kubernetes`, ...), then after the root Kustomization, then the repo.
A Flux Operator root is named after a `clusters/<name>/` folder of its sync path or of
its FluxInstance's file, then the sync path's folder, then the FluxInstance's folder
(generic names skipped), then the repo.
"""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import flux_operator as operator
from .kustomize import find_kustomization_file
from .model import FLUX_SOURCE_GROUP, LoadWarning, api_group, as_dict, is_flux_kustomization, meta, normalize_repo_path
from .yamlio import kubernetes_objects, read_yaml_file

SKIP_DIRS = {".git", ".github", ".hg", ".svn", "node_modules", ".terraform"}
# Entry points are small files; anything bigger is not a gotk-sync file.
MAX_ENTRY_FILE_BYTES = 256 * 1024
GENERIC_NAMES = {
    "",
    ".",
    "flux",
    "flux-system",
    "cluster",
    "clusters",
    "kubernetes",
    "k8s",
    "gitops",
    "deploy",
    "manifests",
}
# folder names that say nothing about a cluster when naming one after a FluxInstance's folder
GENERIC_FOLDERS = GENERIC_NAMES | {
    "app",
    "apps",
    "base",
    "bootstrap",
    "helmfile",
    "flux-instance",
    "flux-operator",
    "config",
    "infrastructure",
}
BOOTSTRAP_FILES = ("gotk-sync.yaml", "gotk-components.yaml")


@dataclass
class ClusterEntry:
    name: str
    root_file: str  # repo-relative
    kustomization: dict[str, Any]
    git_repository: dict[str, Any] | None  # the root's source (a GitRepository, OCIRepository or Bucket)
    assumed: bool = False  # the root objects are not in the repo: kg synthesized them
    how: str = operator.HOW_BOOTSTRAP  # how the entry point was found (the load report shows it)
    source_root: str = ""  # the repo folder the root source's artifact holds ("" = the repo root)


def inside(path: Path, repo_root: Path) -> bool:
    """Whether a path, symbolic links followed, stays in the repository."""
    return path.resolve().is_relative_to(repo_root.resolve())


def iter_yaml_files(root: Path, repo_root: Path | None = None) -> Iterator[Path]:
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
    return path is not None and path != "" and rel_file.startswith(path.rstrip("/") + "/")


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


def _objects_in(path: Path, rel: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of one file, parsed once for every rule that reads it."""
    docs, _ = read_yaml_file(path, rel)  # broken files are reported by rendering
    return [obj for _, obj in kubernetes_objects(docs, rel)[0]]


def _entries_in_file(objs: list[dict[str, Any]], rel: str, repo_name: str) -> list[ClusterEntry]:
    repos = {
        (str(meta(o).get("namespace") or ""), str(meta(o).get("name"))): o
        for o in objs
        if o.get("kind") == "GitRepository" and api_group(o) == FLUX_SOURCE_GROUP
    }
    entries = []
    for obj in objs:
        if not is_flux_kustomization(obj):
            continue
        source_ref = (obj.get("spec") or {}).get("sourceRef") or {}
        if not isinstance(source_ref, dict) or source_ref.get("kind", "GitRepository") != "GitRepository":
            continue
        namespace = meta(obj).get("namespace") or ""
        git_repo = repos.get((str(source_ref.get("namespace") or namespace), str(source_ref.get("name"))))
        if git_repo is None or not _is_bootstrap_root(obj, rel):
            continue
        entries.append(ClusterEntry(cluster_name(obj, rel, repo_name), rel, obj, git_repo, how=operator.HOW_BOOTSTRAP))
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
    return ClusterEntry(
        cluster_name(kustomization, root_file, repo_name),
        root_file,
        kustomization,
        git_repository,
        assumed=True,
        how=operator.HOW_BOOTSTRAP_ASSUMED,
    )


def _clusters_child(folder: str) -> str:
    """<name> of a `clusters/<name>/...` path, or ""."""
    parts = [p for p in folder.split("/") if p]
    return parts[parts.index("clusters") + 1] if "clusters" in parts[:-1] else ""


def _named_folder(folder: str) -> str:
    """The nearest non-generic folder name of a path (walking up), or ""."""
    named = _clusters_child(folder)
    if named:
        return named
    for part in reversed([p for p in folder.split("/") if p]):
        if part.lower() not in GENERIC_FOLDERS:
            return part
    return ""


def operator_cluster_name(sync: operator.SyncSpec, repo_name: str) -> str:
    """`clusters/<name>/` in the sync path or the FluxInstance's file, then the sync path's
    folder, then the FluxInstance's folder (generic names skipped), then the repo."""
    file_dir = posixpath.dirname(sync.file)
    named = _clusters_child(sync.path) or _clusters_child(file_dir)
    if named:
        return named
    base = posixpath.basename(sync.path)
    if base.lower() not in GENERIC_NAMES:
        return base
    return _named_folder(file_dir) or repo_name or "default"


def _sync_source_root(repo_root: Path, sync: operator.SyncSpec) -> str | None:
    """The repo folder the sync source's artifact holds: the repo root when the sync path
    exists there (a Git repository, or an OCI artifact of the whole repository), else the
    nearest folder above the FluxInstance's file that holds the path (an artifact pushed
    from a folder). None when the path exists nowhere."""
    folder = posixpath.dirname(sync.file)
    candidates = [""]
    while folder:
        candidates.insert(1, folder)
        folder = posixpath.dirname(folder)
    for candidate in candidates:
        target = repo_root / candidate / sync.path if candidate else repo_root / sync.path
        if target.is_dir() and inside(target, repo_root):
            return candidate
    return None


def _operator_entries(
    syncs: list[operator.SyncSpec], repo_root: Path, repo_name: str, warnings: list[LoadWarning]
) -> list[ClusterEntry]:
    """One entry per distinct sync (kind, namespace, name, path): a FluxInstance manifest
    wins over a HelmRelease, which wins over a helmfile."""
    preference = {
        operator.HOW_FLUX_INSTANCE: 0,
        operator.HOW_FLUX_INSTANCE_HELM: 1,
        operator.HOW_FLUX_INSTANCE_HELMFILE: 2,
    }
    if any(s.how != operator.HOW_FLUX_INSTANCE_HELMFILE for s in syncs):
        syncs = [s for s in syncs if s.how != operator.HOW_FLUX_INSTANCE_HELMFILE]
    chosen: dict[tuple[str, str, str, str], operator.SyncSpec] = {}
    for sync in sorted(syncs, key=lambda s: (preference[s.how], s.file)):
        chosen.setdefault((sync.kind, sync.namespace, sync.name, sync.path), sync)
    entries = []
    for sync in chosen.values():
        source_root = _sync_source_root(repo_root, sync)
        if source_root is None:
            warnings.append(
                LoadWarning(
                    sync.file,
                    None,
                    f"{sync.how}: sync path {sync.path or './'} is not a folder of this repository: not an entry point",
                )
            )
            continue
        source, kustomization = operator.root_objects(sync)
        name = operator_cluster_name(sync, repo_name)
        entries.append(
            ClusterEntry(name, sync.file, kustomization, source, assumed=True, how=sync.how, source_root=source_root)
        )
    return entries


@dataclass
class _FluxKustomizationSeen:
    file: str
    path: str | None
    source_kind: str
    source_name: str
    source_namespace: str


def _kustomizations_in_file(objs: list[dict[str, Any]], rel: str) -> list[_FluxKustomizationSeen]:
    seen = []
    for obj in objs:
        if not is_flux_kustomization(obj):
            continue
        spec = as_dict(obj.get("spec"))
        ref = as_dict(spec.get("sourceRef"))
        namespace = str(meta(obj).get("namespace") or "")
        seen.append(
            _FluxKustomizationSeen(
                rel,
                normalize_repo_path(str(spec.get("path") or "")),
                str(ref.get("kind") or "GitRepository"),
                str(ref.get("name") or "flux-system"),
                str(ref.get("namespace") or namespace or "flux-system"),
            )
        )
    return seen


def synthesized_root(folder: str, source: tuple[str, str, str], root_file: str, cluster: str, how: str) -> ClusterEntry:
    """A root Kustomization syncing `folder` from `source` (kind, namespace, name): the
    source the folder's own Kustomizations name, so they resolve to this repository."""
    kind, namespace, name = source
    sync = operator.SyncSpec(
        kind=kind, url="", ref="", path=folder, name=name, namespace=namespace, file=root_file, how=how
    )
    source_obj, kustomization = operator.root_objects(sync)
    return ClusterEntry(cluster, root_file, kustomization, source_obj, assumed=True, how=how)


def _common_source(seen: list[_FluxKustomizationSeen]) -> tuple[str, str, str]:
    counts = Counter(
        (k.source_kind, k.source_namespace, k.source_name) for k in seen if k.source_kind in operator.SYNC_KINDS
    )
    if not counts:
        return ("GitRepository", "flux-system", "flux-system")
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _fallback_entries(
    seen: list[_FluxKustomizationSeen], repo_name: str, warnings: list[LoadWarning]
) -> list[ClusterEntry]:
    """Rule 6: folders of Flux Kustomizations that no other Kustomization's path applies."""

    def applies(ks: _FluxKustomizationSeen, file: str) -> bool:
        return ks.path is not None and (ks.path == "" or file.startswith(ks.path.rstrip("/") + "/"))

    uncovered = [k for k in seen if not any(other is not k and applies(other, k.file) for other in seen)]
    folders = sorted({posixpath.dirname(k.file) for k in uncovered})
    roots = [f for f in folders if not any(o != f and (o == "" or f.startswith(o + "/")) for o in folders)]
    entries = []
    for folder in roots:
        members = [
            k
            for k in uncovered
            if k.file == folder or posixpath.dirname(k.file) == folder or k.file.startswith(folder + "/")
        ]
        name = _named_folder(folder) or repo_name or "default"
        root_file = f"{folder}/" if folder else "./"
        entry = synthesized_root(folder, _common_source(members), root_file, name, operator.HOW_FALLBACK)
        entries.append(entry)
        warnings.append(
            LoadWarning(
                root_file,
                None,
                f"no cluster entry point found (no gotk-sync.yaml, no FluxInstance): assumed a root syncing "
                f"./{folder} because no other Kustomization applies the Flux Kustomizations there; "
                "pass `kg load --entry PATH[=CLUSTER]` to choose the root yourself",
                name,
            )
        )
    return entries


def _worth_reading(path: Path) -> tuple[bool, bool, bool]:
    """(may hold a Flux Kustomization, may hold a FluxInstance, may be a helmfile): a byte
    scan before parsing, so discovery parses a small part of a large repository."""
    try:
        if path.stat().st_size > MAX_ENTRY_FILE_BYTES:
            return False, False, False
        data = path.read_bytes()
    except OSError:
        return False, False, False
    flux = b"kustomize.toolkit.fluxcd.io" in data
    instance = b"FluxInstance" in data or b"flux-instance" in data
    helmfile = path.name in operator.HELMFILE_NAMES or (b"releases:" in data and b"flux-instance" in data)
    return flux, instance, helmfile


def discover_clusters(repo_root: Path, repo_name: str = "") -> tuple[list[ClusterEntry], list[LoadWarning]]:
    entries: list[ClusterEntry] = []
    warnings: list[LoadWarning] = []
    flux_system_dirs: list[Path] = []
    syncs: list[operator.SyncSpec] = []
    seen: list[_FluxKustomizationSeen] = []
    sync_problems: list[tuple[str, str]] = []
    for path in iter_yaml_files(repo_root):
        rel = path.relative_to(repo_root).as_posix()
        if path.parent.name == "flux-system" and path.parent not in flux_system_dirs:
            flux_system_dirs.append(path.parent)
        flux, instance, helmfile = _worth_reading(path)
        objs = _objects_in(path, rel) if flux or instance else []
        if flux:
            entries.extend(_entries_in_file(objs, rel, repo_name))
            seen.extend(_kustomizations_in_file(objs, rel))
        if instance:
            syncs.extend(operator.syncs_in_file(objs, path, rel, repo_root, sync_problems))
        if helmfile:
            syncs.extend(operator.syncs_in_helmfile(path, rel, repo_root, sync_problems))
    warnings.extend(LoadWarning(file, None, reason) for file, reason in sync_problems)
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
                    entry.root_file,
                    None,
                    f"no bootstrap GitRepository/Kustomization committed in {rel_dir}: assumed flux bootstrap's "
                    f"(Kustomization flux-system syncing {entry.kustomization['spec']['path']})",
                    entry.name,
                )
            )
    bootstrap_paths = {
        normalize_repo_path(str(as_dict(e.kustomization.get("spec")).get("path") or "")) for e in entries
    }
    operator_entries = _operator_entries(syncs, repo_root, repo_name, warnings)
    entries.extend(
        e for e in operator_entries if normalize_repo_path(str(e.kustomization["spec"]["path"])) not in bootstrap_paths
    )
    if not entries:
        entries = _fallback_entries(seen, repo_name, warnings)
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


def entry_for_path(
    repo_root: Path, cluster_path: str, repo_name: str, how: str = operator.HOW_CLUSTER_PATH, cluster: str | None = None
) -> ClusterEntry | None:
    """Rule 3 and 5: the entry point of a folder given by the user (None if outside the
    repo): a bootstrap root or FluxInstance found in it, else a root syncing the folder
    from the source its Flux Kustomizations name."""
    rel = normalize_repo_path(cluster_path)
    if rel is None or not (repo_root / rel).is_dir() or not inside(repo_root / rel, repo_root):
        return None
    seen: list[_FluxKustomizationSeen] = []
    problems: list[tuple[str, str]] = []
    for path in iter_yaml_files(repo_root / rel, repo_root):
        file_rel = path.relative_to(repo_root).as_posix()
        flux, instance, _ = _worth_reading(path)
        objs = _objects_in(path, file_rel) if flux or instance else []
        found = _entries_in_file(objs, file_rel, repo_name) if flux else []
        if not found and instance:
            found = _operator_entries(
                operator.syncs_in_file(objs, path, file_rel, repo_root, problems), repo_root, repo_name, []
            )
        if found:
            entry = found[0]
            entry.name = cluster or entry.name
            return entry
        if flux:
            seen.extend(_kustomizations_in_file(objs, file_rel))
    git_repository, kustomization = assumed_root(rel)
    root_file = f"{rel}/flux-system/gotk-sync.yaml" if rel else "flux-system/gotk-sync.yaml"
    name = cluster or cluster_name(kustomization, root_file, repo_name)
    if how == operator.HOW_CLUSTER_PATH:
        return ClusterEntry(name, root_file, kustomization, git_repository, assumed=True, how=how)
    return synthesized_root(rel, _common_source(seen), f"{rel}/" if rel else "./", name, how)
