"""Secrets without values: Kubernetes Secrets (key names only), Secrets Store CSI
SecretProviderClasses with their Vault paths and backend."""

from __future__ import annotations

from urllib.parse import urlparse

import yaml

from ..model import Rendered
from .context import ClusterContext, logical_name
from .workloads import in_cluster_hosts

SPC_GROUP = "secrets-store.csi.x-k8s.io"


def add_secret(ctx: ClusterContext, rendered: Rendered) -> None:
    """A Secret node: key names only. The data values are never read."""
    obj = rendered.obj
    name, generated = logical_name(rendered)
    keys = sorted({str(k) for field_name in ("data", "stringData") if isinstance(obj.get(field_name), dict) for k in obj[field_name]})
    if "sops" in obj:
        origin = "sops"
    elif rendered.generated_by == "SecretGenerator":
        origin = "secretGenerator"
    else:
        origin = "manifest"
    ctx.object_node("Secret", rendered, name=name, keys=keys, origin=origin, generated_name=generated, secret_type=obj.get("type"))


def normalize_vault_path(path: str) -> str:
    """One spelling per Vault location: no leading slash, no `v1/` API prefix."""
    path = path.strip().lstrip("/")
    if path.startswith("v1/"):
        path = path[3:]
    return path.rstrip("/")


def _backend(ctx: ClusterContext, address: str) -> tuple[str, str]:
    """The secret server behind an address, named after its in-cluster service when it
    is one (`vault` for http://vault.vault.svc:8200), else after its host."""
    parsed = urlparse(address if "://" in address else f"//{address}")
    host = parsed.hostname or address
    hosts = in_cluster_hosts(host)
    service, service_ns = hosts[0] if hosts else ("", "")
    node = ("SecretBackend", ctx.id("SecretBackend", None, address))
    ctx.gd.add_node(
        "SecretBackend",
        node[1],
        **ctx.base_props(kind="SecretBackend", name=service or host),
        address=address,
        service=service,
        service_namespace=service_ns,
        backend_type="vault",
    )
    if service:
        ctx.pending_calls.append((node, service, service_ns))
    return node


def add_secret_provider_class(ctx: ClusterContext, rendered: Rendered) -> None:
    gd = ctx.gd
    obj = rendered.obj
    namespace = ctx.namespace_of(rendered)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    provider = str(spec.get("provider") or "")
    params = spec.get("parameters") if isinstance(spec.get("parameters"), dict) else {}
    objects_text = params.get("objects")
    objects: list = []
    if isinstance(objects_text, str) and objects_text.strip():
        try:
            parsed = yaml.safe_load(objects_text)
            objects = parsed if isinstance(parsed, list) else []
            if provider == "vault" and not isinstance(parsed, list):
                ctx.warn(rendered.source_file, f"SecretProviderClass {namespace}/{rendered.name}: parameters.objects is not a YAML list")
        except yaml.YAMLError as exc:
            ctx.warn(rendered.source_file, f"SecretProviderClass {namespace}/{rendered.name}: parameters.objects is not valid YAML: {str(exc).splitlines()[0]}")
    objects = [o for o in objects if isinstance(o, dict)]
    node = ctx.object_node(
        "SecretProviderClass",
        rendered,
        provider=provider,
        vault_address=params.get("vaultAddress"),
        vault_role=params.get("roleName"),
        vault_mount_path=params.get("vaultKubernetesMountPath") or params.get("vaultAuthMountPath"),
        vault_namespace=params.get("vaultNamespace"),
        object_names=[str(o.get("objectName")) for o in objects if o.get("objectName")],
    )
    if provider == "vault":
        if params.get("vaultAddress"):
            gd.add_rel("BACKED_BY", node, _backend(ctx, str(params["vaultAddress"])))
        for o in objects:
            secret_path = o.get("secretPath")
            if not secret_path:
                continue
            path = normalize_vault_path(str(secret_path))
            vault_node = ("VaultPath", ctx.id("VaultPath", None, path))
            gd.add_node("VaultPath", vault_node[1], **ctx.base_props(kind="VaultPath", name=path), path=path)
            gd.add_rel(
                "FETCHES", node, vault_node, rel_key=str(o.get("objectName") or ""),
                object_name=o.get("objectName"), key=o.get("secretKey"),
            )
    for secret_object in spec.get("secretObjects") or []:
        if not isinstance(secret_object, dict) or not secret_object.get("secretName"):
            continue
        secret_name = str(secret_object["secretName"])
        keys = sorted({str(d.get("key")) for d in secret_object.get("data") or [] if isinstance(d, dict) and d.get("key")})
        secret = ("Secret", ctx.id("Secret", namespace, secret_name))
        gd.add_node(
            "Secret",
            secret[1],
            **ctx.base_props(rendered, kind="Secret", name=secret_name, namespace=namespace),
            keys=keys,
            origin=f"SecretProviderClass {rendered.name}",
            secret_type=secret_object.get("type"),
        )
        ctx.in_namespace(secret, namespace)
        gd.add_rel("SYNCS", node, secret)
