"""Flux objects: Kustomizations (from the rendered tree), HelmReleases and sources."""

from __future__ import annotations

import json
from typing import Any

from kg.graphdoc import dependency_cycles

from ..helm import release_name
from ..kustomize import OVERLAY_FIELDS
from ..model import (
    FLUX_HELM_GROUP,
    FLUX_SOURCE_GROUP,
    SOURCE_KINDS,
    FluxKustomization,
    Rendered,
    api_group,
    as_dict,
    meta,
    walk,
)
from ..resourceset import is_resourceset
from ..telemetry import values_shipments
from .context import ClusterContext, clip
from .workloads import called_services

# inline Helm values, as applied (after substitution), for "what value does X have"
MAX_VALUES_CHARS = 16384


def _ref_namespace(ref: dict[str, Any], default: str) -> str:
    return str(ref.get("namespace") or default)


def add_sources_without_objects(ctx: ClusterContext) -> None:
    """Sources the cluster uses that no rendered object defines: the root source when kg
    synthesized it (flux bootstrap's assumed, or a FluxInstance's sync), and
    ExternalArtifacts (made by ArtifactGenerators)."""
    root = ctx.cluster.root_source
    if root and ctx.cluster.assumed_root:
        namespace = meta(root).get("namespace") or "flux-system"
        name = meta(root).get("name") or "flux-system"
        kind = str(root.get("kind") or "GitRepository")
        spec = as_dict(root.get("spec"))
        ctx.gd.add_node(
            "Source",
            ctx.id(kind, namespace, name),
            **ctx.base_props(kind=kind, name=name, namespace=namespace, source_file=ctx.cluster.root_file),
            assumed=True,
            synthesized_by=ctx.cluster.entry_point,
            url=spec.get("url") or None,
            maps_to=ctx.cluster.source_roots.get(f"{kind}/{namespace}/{name}") or ".",
        )
    for key, layout in ctx.cluster.source_roots.items():
        kind, namespace, name = key.split("/", 2)
        if kind == "ExternalArtifact":
            ctx.gd.add_node(
                "Source",
                ctx.id(kind, namespace, name),
                **ctx.base_props(kind=kind, name=name, namespace=namespace),
                maps_to=layout,
            )


def add_kustomizations(ctx: ClusterContext) -> None:
    for ks in ctx.cluster.kustomizations.values():
        try:
            _add_kustomization(ctx, ks)
        except Exception as exc:  # noqa: BLE001 - odd spec fields must not stop the load
            # the node must exist: the objects it applies point at it
            ctx.gd.add_node(
                "Kustomization",
                ctx.id("Kustomization", ks.namespace, ks.name),
                **ctx.base_props(
                    kind="Kustomization", name=ks.name, namespace=ks.namespace, source_file=ks.source_file
                ),
            )
            ctx.warn(
                ks.source_file,
                f"Kustomization {ks.key}: partly modelled, a spec field has an unexpected type or shape ({type(exc).__name__})",
            )


def _compact_json(value: Any) -> str | None:
    """postBuild.substitute as compact JSON (inline values: never a Secret's)."""
    if not isinstance(value, dict) or not value:
        return None
    return clip(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), MAX_VALUES_CHARS)


def overlay_of(spec: dict[str, Any]) -> str | None:
    """The CR fields that change its build (patches, images, components, namePrefix, ...) as compact JSON."""
    fields = {k: spec[k] for k in OVERLAY_FIELDS if spec.get(k) and k != "targetNamespace"}
    return (
        clip(json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str), MAX_VALUES_CHARS)
        if fields
        else None
    )


def _add_kustomization(ctx: ClusterContext, ks: FluxKustomization) -> None:
    gd = ctx.gd
    spec = ks.spec
    ks_node = ("Kustomization", ctx.id("Kustomization", ks.namespace, ks.name))
    source_ref = as_dict(spec.get("sourceRef"))
    post_build = ks.post_build or {}
    depends = [d for d in spec.get("dependsOn") or [] if isinstance(d, dict) and d.get("name")]
    substitute_from = [s for s in post_build.get("substituteFrom") or [] if isinstance(s, dict)]
    gd.add_node(
        "Kustomization",
        ks_node[1],
        **ctx.base_props(kind="Kustomization", name=ks.name, namespace=ks.namespace, source_file=ks.source_file),
        path=str(spec.get("path") or "./"),
        source_dir=ks.source_dir,
        interval=spec.get("interval"),
        prune=spec.get("prune"),
        suspend=bool(spec.get("suspend", False)),
        wait=spec.get("wait"),
        timeout=spec.get("timeout"),
        target_namespace=spec.get("targetNamespace"),
        source_kind=source_ref.get("kind") or "GitRepository",
        source_name=source_ref.get("name"),
        depends_on=[f"{_ref_namespace(d, ks.namespace)}/{d['name']}" for d in depends],
        substitute_from=[f"{s.get('kind')}/{s.get('name')}" for s in substitute_from],
        unresolved_vars=ks.unresolved_vars,
        render_error=ks.render_error,
        external_source=ks.external_source or None,
        resources=len(ks.objects),
        overlay=overlay_of(spec),
        substitute=_compact_json(post_build.get("substitute")),
        root=not ks.parent,
        synthesized_by=ctx.cluster.entry_point if not ks.parent and ctx.cluster.assumed_root else None,
    )
    ctx.in_namespace(ks_node, ks.namespace)
    for dep in depends:
        target = ctx.gd.ref(
            "Kustomization",
            ctx.id("Kustomization", _ref_namespace(dep, ks.namespace), dep["name"]),
            **ctx.base_props(kind="Kustomization", name=dep["name"], namespace=_ref_namespace(dep, ks.namespace)),
        )
        gd.add_rel("DEPENDS_ON", ks_node, target)
    if source_ref.get("name"):
        source_kind = source_ref.get("kind") or "GitRepository"
        source_ns = _ref_namespace(source_ref, ks.namespace)
        target = gd.ref(
            "Source",
            ctx.id(source_kind, source_ns, source_ref["name"]),
            **ctx.base_props(kind=source_kind, name=source_ref["name"], namespace=source_ns),
        )
        gd.add_rel("FROM_SOURCE", ks_node, target)
    for ref in substitute_from:
        kind = str(ref["kind"]) if ref.get("kind") in ("ConfigMap", "Secret") else "ConfigMap"
        name = str(ref.get("name") or "")
        target = gd.ref(
            kind, ctx.id(kind, ks.namespace, name), **ctx.base_props(kind=kind, name=name, namespace=ks.namespace)
        )
        gd.add_rel("SUBSTITUTES_FROM", ks_node, target, optional=bool(ref.get("optional", False)))
    if not ks.parent:
        gd.add_rel("ROOT", ("Cluster", ctx.prefix), ks_node)
    elif ks.owner:
        gd.add_rel("MANAGES", ctx.owner_node(ks.owner), ks_node)
    else:
        parent_ns, parent_name = ks.parent.split("/", 1)
        gd.add_rel("MANAGES", ("Kustomization", ctx.id("Kustomization", parent_ns, parent_name)), ks_node)


def add_flux_object(ctx: ClusterContext, rendered: Rendered) -> bool:
    """Sources and HelmReleases. Returns True when the object was handled."""
    group = api_group(rendered.obj)
    if group == FLUX_SOURCE_GROUP and rendered.kind in SOURCE_KINDS:
        _add_source(ctx, rendered)
        return True
    if group == FLUX_HELM_GROUP and rendered.kind == "HelmRelease":
        _add_helm_release(ctx, rendered)
        return True
    if is_resourceset(rendered.obj):
        _add_resourceset(ctx, rendered)
        return True
    return False


def _add_resourceset(ctx: ClusterContext, rendered: Rendered) -> None:
    """A Flux Operator ResourceSet: what it generates hangs below it (MANAGES)."""
    spec = as_dict(rendered.obj.get("spec"))
    inputs_from = [r for r in spec.get("inputsFrom") or [] if isinstance(r, dict)]
    owner = f"ResourceSet/{ctx.namespace_of(rendered)}/{rendered.name}"
    # what it generated joins the output of the Kustomization applying it (loaders/render.py)
    applying = ctx.cluster.kustomizations[rendered.managed_by]
    generated = sum(1 for r in applying.objects if r.owner == owner)
    ctx.object_node(
        "ResourceSet",
        rendered,
        inputs=len(spec.get("inputs") or []) if isinstance(spec.get("inputs"), list) else 0,
        inputs_from=[
            f"{r.get('kind') or 'ResourceSetInputProvider'}/{r.get('name') or '(selector)'}" for r in inputs_from
        ],
        generated=generated,
    )


def _add_source(ctx: ClusterContext, rendered: Rendered) -> None:
    spec = as_dict(rendered.obj.get("spec"))
    ref = as_dict(spec.get("ref"))
    ref_text = ", ".join(f"{k}={v}" for k, v in sorted(ref.items()) if isinstance(v, (str, int)))
    ctx.object_node(
        "Source",
        rendered,
        url=spec.get("url") or spec.get("endpoint"),
        maps_to=ctx.cluster.source_roots.get(f"{rendered.kind}/{ctx.namespace_of(rendered)}/{rendered.name}"),
        ref=ref_text,
        source_type=spec.get("type"),
        interval=spec.get("interval"),
    )


def mark_dependency_cycles(ctx: ClusterContext) -> None:
    """Set `dependency_cycle` on every Kustomization and HelmRelease of the cluster whose
    dependsOn leads back to itself (a strongly connected component of DEPENDS_ON with more
    than one member, or a self-reference), so `kg ask problems` walks cycles only from
    their members instead of expanding dependsOn from every object."""
    gd = ctx.gd
    # every member has a dependsOn of its own, so it is a defined node (not a placeholder)
    for component in dependency_cycles(gd.adjacency("DEPENDS_ON", ctx.prefix + "/")):
        for node_id in component:
            gd.add_node(gd.nodes[node_id].label, node_id, dependency_cycle=True)


def mark_tree_depths(ctx: ClusterContext) -> None:
    """Set `tree_depth` on every Kustomization, HelmRelease and ResourceSet of the cluster
    (what applies or makes other objects): the fewest MANAGES hops from the cluster's root
    Kustomization (0: the root). `kg ask trace` and `tree` read it instead of walking from
    the root at question time."""
    gd = ctx.gd
    children = gd.adjacency("MANAGES", ctx.prefix + "/")
    roots = [rel.end for rel in gd.rels.values() if rel.type == "ROOT" and rel.start == ctx.prefix]
    for node_id, hops in _hops_from(children, roots, limit=None).items():
        node = gd.nodes.get(node_id)
        if node is not None and node.label in ("Kustomization", "HelmRelease", "ResourceSet"):
            gd.add_node(node.label, node_id, tree_depth=hops)


# The longest walk a question bounds (depends-on and why walk dependsOn and MANAGES up to 20)
CLOSURE_HOPS = 20


def _hops_from(edges: dict[str, list[str]], starts: list[str], limit: int | None = CLOSURE_HOPS) -> dict[str, int]:
    """The fewest steps from the nearest of `starts` to each node reached along `edges`,
    up to `limit` (None: no bound; 0: a start itself). The fewest steps of a walk are
    those of a trail, so these are the `min(length(p))` of a bounded variable-length
    pattern on either engine."""
    hops = dict.fromkeys(starts, 0)
    frontier = list(starts)
    step = 0
    while frontier and (limit is None or step < limit):
        step += 1
        following = []
        for node_id in frontier:
            for end in edges.get(node_id, ()):
                if end not in hops:
                    hops[end] = step
                    following.append(end)
        frontier = following
    return hops


def link_closures(ctx: ClusterContext) -> None:
    """WAITS_ON and NESTS (kg/schema.py), derived from the cluster's DEPENDS_ON and MANAGES:
    each with the fewest hops, each object also linked to itself (hops 0), so a question
    matches one relationship where it walked a chain (blast-radius, why, debug at 20,000
    objects: docs/engines.md)."""
    gd = ctx.gd
    prefix = ctx.prefix + "/"
    depends: dict[str, list[str]] = {}
    manages: dict[str, list[str]] = {}
    # every Kustomization, HelmRelease and ResourceSet of the cluster, placeholders of a
    # dangling dependsOn too
    waiting = {n.id: n.label for n in gd.nodes.values() if n.label in ("Kustomization", "HelmRelease", "ResourceSet")}
    appliers: dict[str, str] = {}
    for rel in gd.rels.values():
        if rel.type == "DEPENDS_ON":
            depends.setdefault(rel.start, []).append(rel.end)
            waiting[rel.end] = rel.end_label
        elif rel.type == "MANAGES":
            manages.setdefault(rel.start, []).append(rel.end)
            appliers[rel.start] = rel.start_label
    for start in sorted(node_id for node_id in waiting if node_id.startswith(prefix)):
        for end, hops in _hops_from(depends, [start]).items():
            gd.add_rel("WAITS_ON", (waiting[start], start), (waiting[end], end), hops=hops)
    for start in sorted(node_id for node_id in appliers if node_id.startswith(prefix)):
        for end, hops in _hops_from(manages, [start]).items():
            if end in appliers:  # only what applies objects itself
                gd.add_rel("NESTS", (appliers[start], start), (appliers[end], end), hops=hops)


def _chart_render(ctx: ClusterContext, owner: str) -> dict[str, Any]:
    """What rendering the release's chart gave (loaders/releases.py), for the node."""
    outcome = ctx.cluster.releases.get(owner)
    if outcome is None:
        return {}
    if outcome.error:
        return {"render_error": outcome.error}
    return {"rendered_chart": f"{outcome.chart}@{outcome.version}", "rendered_objects": outcome.objects}


def _add_helm_release(ctx: ClusterContext, rendered: Rendered) -> None:
    gd = ctx.gd
    spec = as_dict(rendered.obj.get("spec"))
    namespace = ctx.namespace_of(rendered)
    chart_spec = ((spec.get("chart") or {}).get("spec") or {}) if isinstance(spec.get("chart"), dict) else {}
    source_ref = chart_spec.get("sourceRef") if isinstance(chart_spec.get("sourceRef"), dict) else None
    chart_ref = spec.get("chartRef") if isinstance(spec.get("chartRef"), dict) else None
    ref = source_ref or chart_ref or {}
    target_ns = spec.get("targetNamespace")
    depends = [d for d in spec.get("dependsOn") or [] if isinstance(d, dict) and d.get("name")]
    node = ctx.object_node(
        "HelmRelease",
        rendered,
        chart=chart_spec.get("chart") or (chart_ref or {}).get("name"),
        chart_version=chart_spec.get("version"),
        chart_source=ref.get("name"),
        chart_source_kind=ref.get("kind"),
        release_name=release_name(rendered.obj),
        target_namespace=target_ns,
        storage_namespace=spec.get("storageNamespace"),
        deploys_to=target_ns or namespace,
        interval=spec.get("interval"),
        suspend=bool(spec.get("suspend", False)),
        depends_on=[f"{_ref_namespace(d, namespace)}/{d['name']}" for d in depends],
        values=clip(json.dumps(spec["values"], sort_keys=True, default=str), MAX_VALUES_CHARS)
        if isinstance(spec.get("values"), dict)
        else None,
        **_chart_render(ctx, f"HelmRelease/{namespace}/{rendered.name}"),
    )
    # in-cluster addresses in its values: what the release's workloads will call
    for value_path, value in walk(spec.get("values"), "values"):
        if isinstance(value, str):
            for service, svc_namespace in called_services(value, target_ns or namespace, value_path.rsplit(".", 1)[-1]):
                ctx.pending_calls.append((node, service, svc_namespace, value_path))
    # a collector configured in its values (remoteWrite, clients, sinks, an Alloy config)
    chart_name = str(chart_spec.get("chart") or (chart_ref or {}).get("name") or "")
    for shipment in values_shipments(spec.get("values"), "logs" if "log" in chart_name else ""):
        ctx.pending_shipments.append((node, target_ns or namespace, shipment))
    if ref.get("name"):
        kind = ref.get("kind") or "HelmRepository"
        ref_ns = _ref_namespace(ref, namespace)
        # chartRef may name a HelmChart: also a source object, kept under the Source label
        target = gd.ref(
            "Source", ctx.id(kind, ref_ns, ref["name"]), **ctx.base_props(kind=kind, name=ref["name"], namespace=ref_ns)
        )
        gd.add_rel("FROM_SOURCE", node, target)
    for dep in depends:
        dep_ns = _ref_namespace(dep, namespace)
        target = gd.ref(
            "HelmRelease",
            ctx.id("HelmRelease", dep_ns, dep["name"]),
            **ctx.base_props(kind="HelmRelease", name=dep["name"], namespace=dep_ns),
        )
        gd.add_rel("DEPENDS_ON", node, target)
    for values_from in spec.get("valuesFrom") or []:
        if not isinstance(values_from, dict) or values_from.get("kind") not in ("ConfigMap", "Secret"):
            continue
        kind, name = values_from["kind"], str(values_from.get("name") or "")
        logical = ctx.resolve_name(kind, namespace, name)
        target = gd.ref(
            kind, ctx.id(kind, namespace, logical), **ctx.base_props(kind=kind, name=logical, namespace=namespace)
        )
        gd.add_rel(
            "VALUES_FROM",
            node,
            target,
            rel_key=str(values_from.get("valuesKey") or ""),
            values_key=values_from.get("valuesKey"),
        )
