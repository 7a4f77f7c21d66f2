"""Cluster roots declared for the Flux Operator: a `FluxInstance` whose `spec.sync`
names the source and path the cluster syncs.

A FluxInstance reaches a repository in three forms, all read here:
- a `FluxInstance` manifest (fluxcd.controlplane.io/v1);
- the values of a HelmRelease of the `flux-instance` chart (`instance.sync`), merged in
  Helm's order with the `valuesFrom` ConfigMaps/Secrets that the same folder's
  kustomization generates (`configMapGenerator` files such as `values.yaml`);
- a helmfile (bootstrap) release of that chart, with its values files; only used when
  no HelmRelease of the chart exists, as it is how the cluster was first started.

Like the operator, the root is a source and a Kustomization, both named `sync.name` or
else the FluxInstance's namespace, in that namespace, syncing `sync.path`. The source
is the repository being loaded, whatever its URL says.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .helm import merge_maps
from .kustomize import find_kustomization_file
from .model import FLUX_HELM_GROUP, api_group, as_dict, meta, normalize_repo_path
from .yamlio import kubernetes_objects, load_documents, read_yaml_file

OPERATOR_GROUP = "fluxcd.controlplane.io"
FLUX_INSTANCE_CHART = "flux-instance"
SYNC_KINDS = ("GitRepository", "OCIRepository", "Bucket")
DEFAULT_NAMESPACE = "flux-system"
HELMFILE_NAMES = ("helmfile.yaml", "helmfile.yml", "helmfile.yaml.gotmpl")

# How a cluster's entry point was found (the load report shows it)
HOW_BOOTSTRAP = "bootstrap file"
HOW_BOOTSTRAP_ASSUMED = "bootstrap folder (sync file assumed)"
HOW_FLUX_INSTANCE = "FluxInstance"
HOW_FLUX_INSTANCE_HELM = "FluxInstance in HelmRelease"
HOW_FLUX_INSTANCE_HELMFILE = "FluxInstance in helmfile"
HOW_ENTRY = "--entry"
HOW_CLUSTER_PATH = "--cluster PATH"
HOW_FALLBACK = "fallback (no entry point)"


@dataclass
class SyncSpec:
    """A FluxInstance's `spec.sync`, where it was found and in which form."""

    kind: str
    url: str
    ref: str
    path: str
    name: str
    namespace: str
    file: str  # repo-relative file that declares it
    how: str
    pull_secret: str = ""


def is_flux_instance(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "FluxInstance" and api_group(obj) == OPERATOR_GROUP


def sync_from_values(
    sync: Any, namespace: str, file: str, how: str, warnings: list[tuple[str, str]]
) -> SyncSpec | None:
    """A SyncSpec from a `spec.sync` / `instance.sync` mapping; None when there is none."""
    if not isinstance(sync, dict):
        return None
    kind = str(sync.get("kind") or "GitRepository")
    if kind not in SYNC_KINDS:
        warnings.append(
            (file, f"FluxInstance sync kind {kind!r} is not one of {', '.join(SYNC_KINDS)}: not an entry point")
        )
        return None
    path = normalize_repo_path(str(sync.get("path") or ""))
    if path is None:
        warnings.append((file, f"FluxInstance sync path {sync.get('path')!r} leaves the source: not an entry point"))
        return None
    return SyncSpec(
        kind=kind,
        url=str(sync.get("url") or ""),
        ref=str(sync.get("ref") or ""),
        path=path,
        name=str(sync.get("name") or "") or namespace,
        namespace=namespace,
        file=file,
        how=how,
        pull_secret=str(sync.get("pullSecret") or ""),
    )


def _folder_kustomization(folder: Path) -> dict[str, Any]:
    kfile = find_kustomization_file(folder)
    if kfile is None:
        return {}
    docs, _ = read_yaml_file(kfile, kfile.name)
    return next((doc for _, doc in docs if isinstance(doc, dict)), {})


def _generated_data(
    kustomization: dict[str, Any], folder: Path, repo_root: Path, kind: str
) -> dict[str, dict[str, str]]:
    """name -> {key: text} of the ConfigMaps/Secrets a kustomization generates from files
    (literals too). Files outside the repository are never read."""
    field_name = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
    out: dict[str, dict[str, str]] = {}
    for generator in kustomization.get(field_name) or []:
        if not isinstance(generator, dict) or not generator.get("name"):
            continue
        data: dict[str, str] = {}
        for entry in generator.get("files") or []:
            key, _, rel = str(entry).partition("=") if "=" in str(entry) else ("", "", str(entry))
            target = (folder / rel).resolve()
            if not target.is_relative_to(repo_root.resolve()) or not target.is_file():
                continue
            data[key or posixpath.basename(rel)] = target.read_text(errors="replace")
        for literal in generator.get("literals") or []:
            key, _, value = str(literal).partition("=")
            data[key] = value
        out[str(generator["name"])] = data
    return out


def _chart_is_flux_instance(release: dict[str, Any], siblings: list[dict[str, Any]]) -> bool:
    spec = as_dict(release.get("spec"))
    chart_spec = as_dict(as_dict(spec.get("chart")).get("spec"))
    if str(chart_spec.get("chart") or "").rstrip("/").endswith(FLUX_INSTANCE_CHART):
        return True
    chart_ref = as_dict(spec.get("chartRef"))
    if not chart_ref:
        return False
    for source in siblings:
        if source.get("kind") == chart_ref.get("kind") and meta(source).get("name") == chart_ref.get("name"):
            url = str(as_dict(source.get("spec")).get("url") or "")
            return url.rstrip("/").endswith("/" + FLUX_INSTANCE_CHART)
    return str(chart_ref.get("name") or "") == FLUX_INSTANCE_CHART


def release_values(
    release: dict[str, Any], folder: Path, repo_root: Path, rel_file: str, warnings: list[tuple[str, str]]
) -> dict[str, Any]:
    """A HelmRelease's values as helm-controller merges them: each `valuesFrom` in order
    (at `targetPath` when given), then the inline `values` on top. Only ConfigMaps and
    Secrets that the release's own folder generates can be read before rendering."""
    spec = as_dict(release.get("spec"))
    merged: dict[str, Any] = {}
    kustomization = _folder_kustomization(folder) if spec.get("valuesFrom") else {}
    for ref in spec.get("valuesFrom") or []:
        if not isinstance(ref, dict) or ref.get("kind") not in ("ConfigMap", "Secret"):
            continue
        generated = _generated_data(kustomization, folder, repo_root, str(ref["kind"]))
        data = generated.get(str(ref.get("name") or ""))
        key = str(ref.get("valuesKey") or "values.yaml")
        if data is None or key not in data:
            if not ref.get("optional"):
                warnings.append(
                    (
                        rel_file,
                        f"HelmRelease {meta(release).get('name')}: valuesFrom {ref.get('kind')} "
                        f"{ref.get('name')} key {key} is not generated in its folder: left out",
                    )
                )
            continue
        if ref.get("targetPath"):
            merged = merge_maps(merged, _at_path(str(ref["targetPath"]), data[key]))
            continue
        docs, _ = load_documents(data[key], rel_file)
        values = docs[0][1] if docs and isinstance(docs[0][1], dict) else {}
        merged = merge_maps(merged, values)
    inline = spec.get("values")
    return merge_maps(merged, inline) if isinstance(inline, dict) else merged


def _at_path(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cursor = out
    parts = [p for p in dotted.split(".") if p]
    for part in parts[:-1]:
        cursor[part] = {}
        cursor = cursor[part]
    if parts:
        cursor[parts[-1]] = value
    return out


def syncs_in_file(
    objs: list[dict[str, Any]], path: Path, rel: str, repo_root: Path, warnings: list[tuple[str, str]]
) -> list[SyncSpec]:
    """FluxInstance manifests and flux-instance HelmReleases among the objects of one file."""
    folder_namespace = ""
    found: list[SyncSpec] = []
    for obj in objs:
        if is_flux_instance(obj):
            namespace = str(meta(obj).get("namespace") or DEFAULT_NAMESPACE)
            spec = sync_from_values(as_dict(obj.get("spec")).get("sync"), namespace, rel, HOW_FLUX_INSTANCE, warnings)
            if spec:
                found.append(spec)
        elif obj.get("kind") == "HelmRelease" and api_group(obj) == FLUX_HELM_GROUP:
            siblings = objs + _folder_objects(path.parent, path, rel)
            if not _chart_is_flux_instance(obj, siblings):
                continue
            values = release_values(obj, path.parent, repo_root, rel, warnings)
            sync = as_dict(values.get("instance")).get("sync")
            if not folder_namespace:
                folder_namespace = str(_folder_kustomization(path.parent).get("namespace") or "")
            spec_ns = as_dict(obj.get("spec")).get("targetNamespace")
            namespace = str(spec_ns or meta(obj).get("namespace") or folder_namespace or DEFAULT_NAMESPACE)
            spec = sync_from_values(sync, namespace, rel, HOW_FLUX_INSTANCE_HELM, warnings)
            if spec:
                found.append(spec)
    return found


def _folder_objects(folder: Path, skip: Path, rel: str) -> list[dict[str, Any]]:
    """Objects in the other YAML files of a folder (the chart's OCIRepository often sits beside)."""
    out: list[dict[str, Any]] = []
    for candidate in sorted(folder.glob("*.y*ml")):
        if candidate == skip or candidate.stat().st_size > 256 * 1024:
            continue
        docs, _ = read_yaml_file(candidate, posixpath.join(posixpath.dirname(rel), candidate.name))
        out.extend(o for _, o in kubernetes_objects(docs, rel)[0])
    return out


def syncs_in_helmfile(path: Path, rel: str, repo_root: Path, warnings: list[tuple[str, str]]) -> list[SyncSpec]:
    """A helmfile release of the flux-instance chart whose values (files or inline maps)
    hold `instance.sync`. Templated values (`.gotmpl`) cannot be evaluated: skipped."""
    docs, _ = read_yaml_file(path, rel)
    found: list[SyncSpec] = []
    for _, doc in docs:
        for release in as_dict(doc).get("releases") or []:
            if not isinstance(release, dict):
                continue
            chart = str(release.get("chart") or "")
            if not (chart.rstrip("/").endswith(FLUX_INSTANCE_CHART) or release.get("name") == FLUX_INSTANCE_CHART):
                continue
            values: dict[str, Any] = {}
            for entry in release.get("values") or []:
                if isinstance(entry, dict):
                    values = merge_maps(values, entry)
                elif isinstance(entry, str) and not entry.endswith(".gotmpl"):
                    target = (path.parent / entry).resolve()
                    if target.is_file() and target.is_relative_to(repo_root.resolve()):
                        vdocs, _ = read_yaml_file(target, entry)
                        for _, vdoc in vdocs:
                            values = merge_maps(values, as_dict(vdoc))
            namespace = str(release.get("namespace") or DEFAULT_NAMESPACE)
            sync = as_dict(values.get("instance")).get("sync")
            spec = sync_from_values(sync, namespace, rel, HOW_FLUX_INSTANCE_HELMFILE, warnings)
            if spec:
                found.append(spec)
    return found


def root_objects(sync: SyncSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """The source and the root Kustomization the operator creates for a sync."""
    source_spec: dict[str, Any] = {"interval": "1m0s", "url": sync.url}
    if sync.ref:
        # the operator takes a Git ref name (refs/heads/main) or an OCI tag
        source_spec["ref"] = {"name": sync.ref} if sync.kind == "GitRepository" else {"tag": sync.ref}
    if sync.pull_secret:
        source_spec["secretRef"] = {"name": sync.pull_secret}
    source = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": sync.kind,
        "metadata": {"name": sync.name, "namespace": sync.namespace},
        "spec": source_spec,
    }
    kustomization = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": sync.name, "namespace": sync.namespace},
        "spec": {
            "interval": "10m0s",
            "path": f"./{sync.path}" if sync.path else "./",
            "prune": True,
            "sourceRef": {"kind": sync.kind, "name": sync.name},
        },
    }
    return source, kustomization
