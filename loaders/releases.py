"""A cluster's HelmReleases rendered into the objects their charts make, after the
Kustomization tree is complete (loaders/helm.py does the Helm work).

Each HelmRelease is taken as Flux applies it (patched, substituted), with the sources,
ConfigMaps and Secrets the cluster renders. The chart's objects join the output of the
Kustomization that applies the release, owned by the release (its `MANAGES` parent in
the graph), with the chart, its version and the template file as provenance. A release
that cannot be rendered keeps what its values say, its `render_error` says why, and
one warning per chart source names the releases that depend on it.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .extract.context import CLUSTER_SCOPED_KINDS, GENERATOR_KINDS, logical_name
from .helm import HELM_GROUP, NO_HELM, ChartPull, HelmRenderer, ReleaseRender, ValuesLookup, values_lookup_from
from .model import (
    SOURCE_KINDS,
    ClusterRender,
    FluxKustomization,
    LoadWarning,
    Rendered,
    api_group,
    meta,
    normalize_repo_path,
)

# the chart sources a HelmRelease can name (HelmChart, too, for chartRef)
CHART_SOURCE_KINDS = set(SOURCE_KINDS)


@dataclass
class ReleaseOutcome:
    """What rendering did for one HelmRelease (the extractor puts it on the node)."""

    chart: str
    version: str
    source: str
    objects: int
    error: str = ""


def chart_provenance(render: ReleaseRender, template: str) -> str:
    """Where a chart object comes from: not a repository file, the chart's template."""
    return f"helm://{render.chart}@{render.version}/{template}"


def _values_lookup(objects: list[Rendered]) -> ValuesLookup:
    """helm.values_lookup_from over the cluster's ConfigMaps and Secrets (Secrets: key
    names, never values), where a generated one also answers to its logical name: a
    release's valuesFrom names that."""
    core = [r for r in objects if r.kind in ("ConfigMap", "Secret") and not api_group(r.obj)]
    by_name = values_lookup_from(r.obj for r in core)
    logical: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    for rendered in core:
        if rendered.generated_by in GENERATOR_KINDS:
            namespace = rendered.namespace or "default"
            logical.setdefault(
                (rendered.kind, namespace, logical_name(rendered)[0]), (rendered.kind, namespace, rendered.name)
            )

    def lookup(kind: str, namespace: str, name: str) -> dict[str, str | None] | None:
        found = by_name(kind, namespace, name)
        if found is None and (kind, namespace, name) in logical:
            found = by_name(*logical[(kind, namespace, name)])
        return found

    return lookup


def _chart_dir_resolver(render: ClusterRender, repo_root: Path) -> Callable[[str, str], Path | None]:
    """A GitRepository/Bucket path chart: a folder of this repository when the source is
    one kg mapped onto it (the cluster's own, or one with the same URL)."""
    root = repo_root.resolve()

    def resolve(source_id: str, path: str) -> Path | None:
        mapped = render.source_roots.get(source_id)
        rel = normalize_repo_path(path)
        if mapped is None or rel is None or ";" in mapped:
            return None
        folder = (root / posixpath.join(mapped, rel)).resolve() if mapped else (root / rel).resolve()
        return folder if folder.is_dir() and folder.is_relative_to(root) else None

    return resolve


def _with_namespace(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """Helm installs namespaced objects that name no namespace into the release's."""
    if not namespace or obj.get("kind") in CLUSTER_SCOPED_KINDS or meta(obj).get("namespace"):
        return obj
    obj = copy.copy(obj)
    obj["metadata"] = {**meta(obj), "namespace": namespace}
    return obj


def _applied_releases(render: ClusterRender) -> list[tuple[FluxKustomization, Rendered]]:
    """Every HelmRelease the cluster's Kustomizations apply, with the one applying it."""
    return [
        (ks, r)
        for ks in render.kustomizations.values()
        for r in ks.objects
        if r.kind == "HelmRelease" and api_group(r.obj) == HELM_GROUP and not r.owner
    ]


def pull_releases(render: ClusterRender, repo_root: Path, renderer: HelmRenderer) -> list[ChartPull]:
    """Fill the chart cache with the charts of the cluster's HelmReleases."""
    applied = _applied_releases(render)
    sources = [r.obj for r in render.objects() if r.kind in CHART_SOURCE_KINDS]
    return renderer.pull([r.obj for _, r in applied], sources, _chart_dir_resolver(render, repo_root))


def render_releases(render: ClusterRender, repo_root: Path, renderer: HelmRenderer | None) -> list[LoadWarning]:
    """Render the cluster's HelmReleases; their objects join the applying Kustomization's
    output. Returns the warnings (one per chart source that failed, one when no helm)."""
    applied = _applied_releases(render)
    if not applied:
        return []
    if renderer is None or not renderer.helm:
        return [
            LoadWarning(
                "",
                None,
                f"{len(applied)} HelmRelease chart(s) not rendered: {NO_HELM}; the releases stand for what they deploy",
                render.name,
            )
        ]
    every = render.objects()
    sources = [r.obj for r in every if r.kind in CHART_SOURCE_KINDS]
    results = renderer.render_all(
        [r.obj for _, r in applied], sources, _values_lookup(every), _chart_dir_resolver(render, repo_root)
    )
    # (stage, chart source) -> (release name, its file, why) of each release it failed
    failed: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for (ks, hr), result in zip(applied, results):
        owner = f"HelmRelease/{hr.namespace or 'default'}/{hr.name}"
        render.releases[owner] = ReleaseOutcome(
            result.chart, result.version, result.source, len(result.objects), result.error
        )
        if result.error:
            where = result.source_ref or result.source or "its chart source"
            failed.setdefault((result.stage, where), []).append((hr.name, hr.source_file, result.error))
            continue
        ks.objects.extend(
            Rendered(
                obj=_with_namespace(obj, result.namespace),
                raw=obj,
                source_file=chart_provenance(result, template),
                managed_by=ks.key,
                generated_by="HelmRelease",
                owner=owner,
            )
            for obj, template in result.objects
        )
    warnings = []
    for (stage, where), releases in sorted(failed.items()):
        first = releases[0][2]
        names = ", ".join(sorted({name for name, _, _ in releases}))
        warnings.append(
            LoadWarning(
                releases[0][1],
                None,
                f"HelmRelease(s) {names}: chart not rendered ({stage}, "
                f"source {where}): {_reason(first)}; the release stands for what it deploys",
                render.name,
            )
        )
    return warnings


def _reason(error: str) -> str:
    # "HelmRelease ns/name: <why>": the release is named in the warning already
    return error.split(": ", 1)[1] if error.startswith("HelmRelease ") and ": " in error else error
