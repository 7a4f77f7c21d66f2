"""External Secrets Operator (external-secrets.io v1 and v1beta1): SecretStores,
ClusterSecretStores and ExternalSecrets, with each Vault reference resolved to the
same VaultPath a SecretProviderClass reading that location gets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..model import Rendered, as_dict
from .context import ClusterContext
from .secrets import synced_secret
from .vault import VaultLocation, backend_node, from_kv, vault_path_node

ESO_GROUP = "external-secrets.io"
ESO_KINDS = ("ExternalSecret", "SecretStore", "ClusterSecretStore")


@dataclass
class _Store:
    node: tuple[str, str]
    provider: str
    backend: tuple[str, str] | None = None
    mount: str = ""
    version: str = ""
    vault_namespace: str = ""

    def location(self, key: str) -> VaultLocation | None:
        if self.provider != "vault":
            return None
        return from_kv(self.mount, key, self.version, self.vault_namespace)


def _secret_refs(auth: dict[str, Any], path: str = "auth") -> Iterator[tuple[str, dict[str, Any]]]:
    """Secrets a store authenticates with: every `secretRef` / `*SecretRef` under auth
    (tokenSecretRef, appRole.secretRef, jwt.secretRef, ...)."""
    for key, value in sorted(auth.items()):
        if not isinstance(value, dict):
            continue
        if (key == "secretRef" or key.endswith("SecretRef")) and value.get("name"):
            yield f"{path}.{key}", value
        else:
            yield from _secret_refs(value, f"{path}.{key}")


def _add_store(ctx: ClusterContext, rendered: Rendered) -> _Store:
    namespace = ctx.namespace_of(rendered)
    spec = as_dict(rendered.obj.get("spec"))
    providers = as_dict(spec.get("provider"))
    provider = next(iter(sorted(providers)), "")
    settings = as_dict(providers.get(provider))
    vault = settings if provider == "vault" else {}
    auth = as_dict(settings.get("auth"))
    method = next(iter(sorted(auth)), "")
    method_settings = as_dict(auth.get(method))
    server = vault.get("server")
    raw_server = as_dict(as_dict(as_dict(rendered.raw.get("spec")).get("provider")).get("vault")).get("server")
    node = ctx.object_node(
        "SecretStore",
        rendered,
        provider=provider,
        server=server if isinstance(server, str) else None,
        server_raw=raw_server if isinstance(raw_server, str) and raw_server != server else None,
        mount=vault.get("path"),
        kv_version=(vault.get("version") or "v2") if vault else None,
        vault_namespace=vault.get("namespace"),
        vault_role=method_settings.get("role"),
        vault_auth_mount_path=method_settings.get("mountPath") or method_settings.get("path"),
        auth_method=method,
    )
    store = _Store(
        node,
        provider,
        None,
        str(vault.get("path") or ""),
        str(vault.get("version") or "v2"),
        str(vault.get("namespace") or ""),
    )
    if isinstance(server, str) and server:
        store.backend = backend_node(ctx, server, namespace)
        ctx.gd.add_rel("BACKED_BY", node, store.backend)
    for via, ref in _secret_refs(auth):
        # a ClusterSecretStore must name the namespace; a SecretStore reads its own
        ref_namespace = str(ref.get("namespace") or namespace)
        if ref_namespace:
            name = str(ref["name"])
            secret = ctx.gd.ref(
                "Secret",
                ctx.id("Secret", ref_namespace, name),
                **ctx.base_props(kind="Secret", name=name, namespace=ref_namespace),
            )
            ctx.gd.add_rel("USES", node, secret, rel_key=via, via=via, keys=[ref.get("key")])
    return store


def _store_ref(
    ctx: ClusterContext, rendered: Rendered, ref: dict[str, Any], stores: dict[str, _Store]
) -> _Store | None:
    if not ref.get("name"):
        return None
    kind = "ClusterSecretStore" if ref.get("kind") == "ClusterSecretStore" else "SecretStore"
    namespace = "" if kind == "ClusterSecretStore" else ctx.namespace_of(rendered)
    node_id = ctx.id(kind, namespace, str(ref["name"]))
    if node_id not in stores:
        # not in the repo: a placeholder, and no Vault path can be resolved through it
        node = ctx.gd.ref(
            "SecretStore", node_id, **ctx.base_props(kind=kind, name=str(ref["name"]), namespace=namespace)
        )
        stores[node_id] = _Store(node, "")
    return stores[node_id]


def _add_external_secret(ctx: ClusterContext, rendered: Rendered, stores: dict[str, _Store]) -> None:
    gd = ctx.gd
    spec = as_dict(rendered.obj.get("spec"))
    store_ref = as_dict(spec.get("secretStoreRef"))
    default_store = _store_ref(ctx, rendered, store_ref, stores)
    target = as_dict(spec.get("target"))
    target_name = str(target.get("name") or rendered.name)
    template = as_dict(target.get("template"))
    data = [as_dict(d) for d in spec.get("data") or [] if isinstance(d, dict)]
    data_from = [as_dict(d) for d in spec.get("dataFrom") or [] if isinstance(d, dict)]

    fetches: list[tuple[_Store | None, str, str, dict[str, Any]]] = []  # (store, key, rel_key, props)
    remote_keys: list[str] = []
    for item in data:
        remote = as_dict(item.get("remoteRef"))
        key, prop = str(remote.get("key") or ""), remote.get("property")
        store = (
            _store_ref(ctx, rendered, as_dict(as_dict(item.get("sourceRef")).get("storeRef")), stores) or default_store
        )
        remote_keys.append(key + (f"#{prop}" if prop else ""))
        fetches.append(
            (
                store,
                key,
                f"data:{item.get('secretKey')}",
                {"object_name": item.get("secretKey"), "key": prop, "via": "data"},
            )
        )
    for item in data_from:
        store = (
            _store_ref(ctx, rendered, as_dict(as_dict(item.get("sourceRef")).get("storeRef")), stores) or default_store
        )
        generator = as_dict(as_dict(item.get("sourceRef")).get("generatorRef"))
        if generator.get("name"):
            remote_keys.append(f"generator:{generator.get('kind')}/{generator['name']}")
        extract, find = as_dict(item.get("extract")), as_dict(item.get("find"))
        if extract.get("key"):
            key, prop = str(extract["key"]), extract.get("property")
            remote_keys.append(f"extract:{key}" + (f"#{prop}" if prop else ""))
            fetches.append((store, key, f"extract:{key}", {"key": prop, "via": "dataFrom.extract"}))
        if find:
            name = as_dict(find.get("name")).get("regexp")
            tags = ",".join(f"{k}={v}" for k, v in sorted(as_dict(find.get("tags")).items()))
            match = " ".join(p for p in (f"name=~{name}" if name else "", f"tags {tags}" if tags else "") if p)
            path = str(find.get("path") or "")
            remote_keys.append(f"find:{path}" + (f" {match}" if match else ""))
            fetches.append((store, path, f"find:{path}:{match}", {"via": "dataFrom.find", "match": match}))

    used_stores = {s.node: s for s in [default_store] + [f[0] for f in fetches] if s}
    node = ctx.object_node(
        "ExternalSecret",
        rendered,
        target=target_name,
        store=store_ref.get("name"),
        store_kind=(store_ref.get("kind") or "SecretStore") if store_ref.get("name") else None,
        refresh_interval=spec.get("refreshInterval"),
        remote_keys=remote_keys,
    )
    for store_node in used_stores:
        gd.add_rel("VIA", node, store_node)
    for store, key, rel_key, props in fetches:
        location = store.location(key) if store else None
        if store is not None and location is not None and (location.mount or location.path):
            gd.add_rel("FETCHES", node, vault_path_node(ctx, store.backend, location), rel_key=rel_key, **props)
    # the target's keys: the template's when it builds them, else one per data item
    keys = sorted(str(k) for k in as_dict(template.get("data"))) or sorted(
        {str(d["secretKey"]) for d in data if d.get("secretKey")}
    )
    if target.get("creationPolicy") != "None":
        secret = synced_secret(
            ctx, rendered, target_name, keys, f"ExternalSecret {rendered.name}", template.get("type")
        )
        gd.add_rel("SYNCS", node, secret)


def add_external_secrets(ctx: ClusterContext, objects: list[Rendered]) -> None:
    """Stores first: an ExternalSecret's Vault paths depend on its store's mount and
    KV version, wherever the store is applied in the tree."""
    stores: dict[str, _Store] = {}
    for rendered in objects:
        if rendered.kind in ("SecretStore", "ClusterSecretStore"):
            store = _add_store(ctx, rendered)
            stores[store.node[1]] = store
    for rendered in objects:
        if rendered.kind == "ExternalSecret":
            _add_external_secret(ctx, rendered, stores)
