"""Secrets without values: Kubernetes Secrets (key names only, and where each comes
from) and Secrets Store CSI SecretProviderClasses with their Vault paths and backend."""

from __future__ import annotations

from typing import Any

import yaml

from ..model import Rendered, as_dict
from .context import ClusterContext, logical_name
from .vault import backend_node, from_api_path, vault_path_node

SPC_GROUP = "secrets-store.csi.x-k8s.io"
# How a Secret that is only named by others is named, after the relationship naming
# it (otherwise after the label of the object naming it: Workload, SecretStore).
REFERENCE_ORIGINS = {"SUBSTITUTES_FROM": "substituteFrom", "DEFINED_BY": "substituteFrom", "VALUES_FROM": "valuesFrom"}


def secret_keys(obj: dict[str, Any]) -> list[str]:
    """Key names of a Secret. Values are never read; SOPS keeps its metadata under a
    top-level `sops:` that is no key."""
    return sorted({str(k) for f in ("data", "stringData") if isinstance(obj.get(f), dict) for k in obj[f]})


def add_secret(ctx: ClusterContext, rendered: Rendered) -> None:
    obj = rendered.obj
    name, generated = logical_name(rendered)
    if "sops" in obj:
        origin = "sops"
    elif rendered.generated_by == "SecretGenerator":
        origin = "secretGenerator"
    else:
        origin = "manifest"
    ctx.object_node(
        "Secret",
        rendered,
        name=name,
        keys=secret_keys(obj),
        origin=origin,
        generated_name=generated,
        secret_type=obj.get("type"),
    )


def synced_secret(
    ctx: ClusterContext, rendered: Rendered, name: str, keys: list[str], origin: str, secret_type: Any = None
) -> tuple[str, str]:
    """A Secret that an SPC or an ExternalSecret creates: in the object's namespace,
    applied (indirectly) by the same Kustomization. A Secret the repo also defines
    keeps its own definition."""
    namespace = ctx.namespace_of(rendered)
    secret = ("Secret", ctx.id("Secret", namespace, name))
    ctx.gd.add_node(
        "Secret",
        secret[1],
        **ctx.base_props(rendered, kind="Secret", name=name, namespace=namespace),
        keys=keys,
        origin=origin,
        secret_type=secret_type,
    )
    ctx.in_namespace(secret, namespace)
    return secret


def _provider_objects(
    ctx: ClusterContext, rendered: Rendered, provider: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The objects an SPC asks its provider for. `objects` is YAML inside a string: a
    list (vault, aws) or `array:` of YAML strings (azure); gcp names `secrets`."""
    text = params.get("secrets" if provider == "gcp" and "objects" not in params else "objects")
    if not isinstance(text, str) or not text.strip():
        return []
    where = f"SecretProviderClass {ctx.namespace_of(rendered)}/{rendered.name}"
    try:
        parsed = yaml.safe_load(text)
        if isinstance(parsed, dict) and isinstance(parsed.get("array"), list):
            parsed = [yaml.safe_load(item) if isinstance(item, str) else item for item in parsed["array"]]
    except yaml.YAMLError as exc:
        ctx.warn(rendered.source_file, f"{where}: parameters.objects is not valid YAML: {str(exc).splitlines()[0]}")
        return []
    if not isinstance(parsed, list):
        ctx.warn(rendered.source_file, f"{where}: parameters.objects is not a YAML list")
        return []
    return [o for o in parsed if isinstance(o, dict)]


def _raw_param(rendered: Rendered, name: str, value: Any) -> str | None:
    """The parameter as written in git, when substitution changed it."""
    spec = rendered.raw.get("spec")
    params = spec.get("parameters") if isinstance(spec, dict) else None
    raw = params.get(name) if isinstance(params, dict) else None
    return raw if isinstance(raw, str) and raw != value else None


def add_secret_provider_class(ctx: ClusterContext, rendered: Rendered) -> None:
    gd = ctx.gd
    obj = rendered.obj
    namespace = ctx.namespace_of(rendered)
    spec = as_dict(obj.get("spec"))
    provider = str(spec.get("provider") or "")
    params = as_dict(spec.get("parameters"))
    objects = _provider_objects(ctx, rendered, provider, params)
    address = params.get("vaultAddress")
    mount_param = "vaultKubernetesMountPath" if params.get("vaultKubernetesMountPath") else "vaultAuthMountPath"
    node = ctx.object_node(
        "SecretProviderClass",
        rendered,
        provider=provider,
        vault_address=address,
        vault_address_raw=_raw_param(rendered, "vaultAddress", address),
        vault_role=params.get("roleName"),
        vault_mount_path=params.get(mount_param),
        vault_mount_path_raw=_raw_param(rendered, mount_param, params.get(mount_param)),
        vault_namespace=params.get("vaultNamespace"),
        object_names=[
            str(o.get("objectName") or o.get("resourceName"))
            for o in objects
            if o.get("objectName") or o.get("resourceName")
        ],
    )
    if provider == "vault":
        backend = backend_node(ctx, str(address), namespace) if address else None
        if backend:
            gd.add_rel("BACKED_BY", node, backend)
        for o in objects:
            if not o.get("secretPath"):
                continue
            location = from_api_path(str(o["secretPath"]), str(params.get("vaultNamespace") or ""))
            gd.add_rel(
                "FETCHES",
                node,
                vault_path_node(ctx, backend, location),
                rel_key=str(o.get("objectName") or ""),
                object_name=o.get("objectName"),
                key=o.get("secretKey"),
            )
    for secret_object in spec.get("secretObjects") or []:
        if not isinstance(secret_object, dict) or not secret_object.get("secretName"):
            continue
        keys = sorted(
            {str(d.get("key")) for d in secret_object.get("data") or [] if isinstance(d, dict) and d.get("key")}
        )
        secret = synced_secret(
            ctx,
            rendered,
            str(secret_object["secretName"]),
            keys,
            f"SecretProviderClass {rendered.name}",
            secret_object.get("type"),
        )
        objects_in = sorted(
            {
                str(d.get("objectName"))
                for d in secret_object.get("data") or []
                if isinstance(d, dict) and d.get("objectName")
            }
        )
        gd.add_rel("SYNCS", node, secret, object_names=objects_in)


def finish_secrets(ctx: ClusterContext) -> None:
    """Secrets the cluster's objects name but that nothing in the repo defines (made
    by hand, by a chart, or by a controller): placeholders whose origin says who names
    them (`reference: Workload, valuesFrom`)."""
    gd = ctx.gd
    mine = ctx.prefix + "/Secret/"
    named: dict[str, set[str]] = {}
    for rel in gd.rels.values():
        if rel.end_label == "Secret" and rel.end.startswith(mine) and rel.end not in gd.nodes:
            named.setdefault(rel.end, set()).add(REFERENCE_ORIGINS.get(rel.type, rel.start_label))
    for secret_id, by in sorted(named.items()):
        namespace, name = secret_id[len(mine) :].split("/", 1)
        origin = "reference: " + ", ".join(sorted(by))
        gd.add_node(
            "Secret",
            secret_id,
            **ctx.base_props(kind="Secret", name=name, namespace=namespace),
            origin=origin,
            missing=True,
        )
