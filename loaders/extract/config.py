"""Configuration lineage: ConfigMaps, their keys (raw and substituted values) and the
post-build variables each value and each Kustomization uses."""

from __future__ import annotations

from ..model import Rendered, as_dict
from ..substitute import referenced_variables
from ..telemetry import text_shipments
from .context import ClusterContext, clip, labels_of, logical_name
from .workloads import called_services


def add_configmap(ctx: ClusterContext, rendered: Rendered) -> None:
    gd = ctx.gd
    namespace = ctx.namespace_of(rendered)
    name, generated = logical_name(rendered)
    data = as_dict(rendered.obj.get("data"))
    raw_data = as_dict(rendered.raw.get("data"))
    binary = as_dict(rendered.obj.get("binaryData"))
    keys = sorted({str(k) for k in data} | {str(k) for k in binary})
    node = ctx.object_node(
        "ConfigMap",
        rendered,
        name=name,
        generated_name=generated,
        # what makes it: the managed-by label's tool (crossplane-sync), else kustomize or a manifest
        generated_by=labels_of(rendered.obj).get("app.kubernetes.io/managed-by")
        or ("kustomization" if rendered.generated_by else "manifest"),
        generator=rendered.generated_by,
        keys=keys,
    )
    # rendered.variables is empty unless Flux substitutes this object (postBuild set, not opted out)
    substituted = bool(rendered.variables)
    for key in keys:
        raw_value = "" if key in binary else str(raw_data.get(key, data.get(key, "")))
        value = "" if key in binary else str(data.get(key, ""))
        variables = referenced_variables(raw_value) if substituted else []
        origins = {var: variable_origin(ctx, rendered.managed_by, var) for var in variables}
        key_node = ("ConfigKey", ctx.id("ConfigKey", namespace, name, key))
        gd.add_node(
            "ConfigKey",
            key_node[1],
            **ctx.base_props(rendered, kind="ConfigKey", name=key, namespace=namespace),
            key=key,
            configmap=name,
            value_raw=clip(raw_value),
            value=clip(value),
            binary=key in binary or None,
            variables=variables,
            unresolved_vars=[v for v in variables if v in rendered.unresolved_vars],
            # a Secret-sourced reference stays `${var}` in `value`: that part is redacted
            redacted_vars=[v for v in variables if (origins[v] or ("", False))[1]],
        )
        gd.add_rel("HAS_KEY", node, key_node)
        for var in variables:
            origin, redacted = origins[var] or (None, None)
            gd.add_rel("USES_VAR", key_node, variable_node(ctx, var), origin=origin, redacted=redacted)
        for service, svc_namespace in called_services(value, namespace, key):
            ctx.pending_calls.append((key_node, service, svc_namespace, key))
        for shipment in text_shipments(value):
            ctx.pending_shipments.append((key_node, namespace, shipment))
    ctx.configmap_keys[(namespace, name)] = keys


def variable_origin(ctx: ClusterContext, ks_key: str, var: str) -> tuple[str, bool] | None:
    """(origin, redacted) of the value a Kustomization substitutes for `var`: as in
    Flux, inline `substitute` wins, then the last `substituteFrom` source defining it.
    None when the Kustomization does not define it (unresolved, or its default used)."""
    ks = ctx.cluster.kustomizations.get(ks_key)
    origins = (ctx.cluster.variable_sources.get(var) or {}).get("origins") or {}
    if ks is None or ks.post_build is None:
        return None
    refs = [r for r in ks.post_build.get("substituteFrom") or [] if isinstance(r, dict)]
    # the origin spellings of render.py's variable_sources
    candidates = [f"Kustomization {ks.key} (inline)"] + [
        f"{r.get('kind')} {ks.namespace}/{r.get('name')}" for r in reversed(refs)
    ]
    for origin in candidates:
        if origin in origins:
            return origin, origins[origin] is None
    return None


def variable_node(ctx: ClusterContext, name: str) -> tuple[str, str]:
    node_id = ctx.id("Variable", None, name)
    if node_id not in ctx.gd.nodes:
        ctx.gd.add_node("Variable", node_id, **ctx.base_props(kind="Variable", name=name))
    return ("Variable", node_id)


def add_variables(ctx: ClusterContext) -> None:
    """Variable nodes with where their value is defined; USES_VAR from Kustomizations.
    A variable that comes from a Secret is redacted: no value is ever recorded."""
    gd = ctx.gd
    for ks in ctx.cluster.kustomizations.values():
        ks_node = ("Kustomization", ctx.id("Kustomization", ks.namespace, ks.name))
        for var in ks.variables_used:
            origin, redacted = variable_origin(ctx, ks.key, var) or (None, None)
            gd.add_rel("USES_VAR", ks_node, variable_node(ctx, var), origin=origin, redacted=redacted)
    for name, info in sorted(ctx.cluster.variable_sources.items()):
        node = variable_node(ctx, name)
        origins = info["origins"]
        redacted = any(value is None for value in origins.values())
        values = {value for value in origins.values() if value is not None}
        props = gd.nodes[node[1]].props
        props["defined_in"] = sorted(origins)
        props["redacted"] = redacted
        if not redacted and len(values) == 1:
            props["value"] = clip(values.pop())
        for origin in sorted(origins):
            kind, _, ref = origin.partition(" ")
            if kind == "ConfigMap":
                namespace, cm = ref.split("/", 1)
                target = ("ConfigKey", ctx.id("ConfigKey", namespace, cm, name))
                if target[1] in gd.nodes:
                    gd.add_rel("DEFINED_BY", node, target)
            elif kind == "Secret":
                namespace, secret = ref.split("/", 1)
                gd.add_rel(
                    "DEFINED_BY",
                    node,
                    gd.ref(
                        "Secret",
                        ctx.id("Secret", namespace, secret),
                        **ctx.base_props(kind="Secret", name=secret, namespace=namespace),
                    ),
                )
            elif kind == "Kustomization":
                namespace, ks_name = ref.split(" ", 1)[0].split("/", 1)
                gd.add_rel("DEFINED_BY", node, ("Kustomization", ctx.id("Kustomization", namespace, ks_name)))
