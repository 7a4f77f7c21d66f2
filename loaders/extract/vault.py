"""Vault locations and secret servers, shared by SecretProviderClasses and External
Secrets so that one secret location is one node whoever reads it.

The rule (docs/secrets.md): a location is `<mount>/<path>`, the logical path that
`vault kv get` and ESO's `remoteRef.key` use, without the KV v2 `data/` API segment
and without a `v1/` prefix; the API form (`<mount>/data/<path>` for KV v2) is kept as
`api_path`. A location belongs to one server: the VaultPath id holds the backend key.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlparse

from .context import ClusterContext
from .workloads import called_services

# VaultPath ids when the object names no server (the provider's or operator's default)
DEFAULT_BACKEND = "default"


@dataclass(frozen=True)
class VaultLocation:
    mount: str
    path: str  # below the mount ("" for the mount itself, e.g. a find over a whole mount)
    kv_version: str  # "v2", "v1", or "" when the path does not tell
    vault_namespace: str = ""

    @property
    def logical(self) -> str:
        return "/".join(p for p in (self.mount, self.path) if p)

    @property
    def api_path(self) -> str:
        if self.kv_version == "v2":
            return "/".join(p for p in (self.mount, "data", self.path) if p)
        return self.logical


def _clean(path: str) -> list[str]:
    path = path.strip().split("?", 1)[0]  # the CSI provider accepts ?version=N
    path = posixpath.normpath("/" + path).lstrip("/")
    if path.startswith("v1/"):
        path = path[3:]
    return [s for s in path.split("/") if s and s != "."]


def from_api_path(api_path: str, vault_namespace: str = "") -> VaultLocation:
    """A path as the Vault HTTP API takes it (a SecretProviderClass's `secretPath`).
    The first `data` segment after the mount marks KV v2: the mount is what precedes
    it. Without one the path is read as written (KV v1 or another engine)."""
    segments = _clean(api_path)
    for i in range(1, len(segments) - 1):
        if segments[i] == "data":
            return VaultLocation("/".join(segments[:i]), "/".join(segments[i + 1 :]), "v2", vault_namespace)
    return VaultLocation(segments[0] if segments else "", "/".join(segments[1:]), "", vault_namespace)


def from_kv(mount: str, key: str, version: str, vault_namespace: str = "") -> VaultLocation:
    """An ESO Vault reference: the store's `path` (mount, optional), `version` (v2 by
    default) and a `remoteRef.key`, resolved as the ESO Vault provider builds its path."""
    version = version or "v2"
    key_segments = _clean(key)
    mount_segments = _clean(mount) if mount else []
    if version == "v2" and mount_segments[-1:] == ["data"]:
        mount_segments = mount_segments[:-1]  # ESO accepts `kv/data` as the store path
    if not mount_segments:
        # no mount on the store: the key starts with it (`kv/app` or `kv/data/app`)
        if version == "v2" and "data" in key_segments[1:-1]:
            return from_api_path("/".join(key_segments), vault_namespace)
        return VaultLocation(
            key_segments[0] if key_segments else "", "/".join(key_segments[1:]), version, vault_namespace
        )
    n = len(mount_segments)
    if key_segments[:n] == mount_segments:
        key_segments = key_segments[n:]
        if version == "v2" and key_segments[:1] == ["data"]:
            key_segments = key_segments[1:]
    return VaultLocation("/".join(mount_segments), "/".join(key_segments), version, vault_namespace)


def backend_key(address: str, namespace: str) -> tuple[str, str, str, str]:
    """(key, host, service, service namespace) of a server address. A host that names
    an in-cluster Service (`name.ns.svc[.cluster.local]`, `name.ns`, or a bare `name`
    resolved in `namespace`) is written `name.ns.svc.cluster.local`, so every spelling
    of one server is one key; other hosts stay as written. The scheme is dropped, the
    port kept."""
    parsed = urlparse(address if "://" in address else f"//{address}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    host = (parsed.hostname or address).lower().rstrip(".")
    found = called_services(host, namespace, "server")
    service, service_ns = found[0] if found else ("", "")
    if service:
        host = f"{service}.{service_ns}.svc.cluster.local"
    return (f"{host}:{port}" if port else host), host, service, service_ns


def backend_node(ctx: ClusterContext, address: str, namespace: str, backend_type: str = "vault") -> tuple[str, str]:
    """The secret server behind an address, named after its in-cluster service when it
    is one (`vault` for http://vault.vault.svc:8200), else after its host. Its CALLS
    and SERVED_BY are linked at the end, when every Service and release is known."""
    key, host, service, service_ns = backend_key(address, namespace)
    node = ("SecretBackend", ctx.id("SecretBackend", None, key))
    if node[1] not in ctx.gd.nodes:
        ctx.gd.add_node(
            "SecretBackend",
            node[1],
            **ctx.base_props(kind="SecretBackend", name=service or host),
            address=address,
            service=service,
            service_namespace=service_ns,
            backend_type=backend_type,
        )
        if service:
            ctx.pending_calls.append((node, service, service_ns, "address"))
    return node


def vault_path_node(ctx: ClusterContext, backend: tuple[str, str] | None, location: VaultLocation) -> tuple[str, str]:
    """One node per (server, Vault namespace, mount/path). A Vault namespace prefixes
    paths in Vault itself (`ns1/kv/...` is `kv/...` in namespace ns1), so it does here."""
    key = backend[1].rsplit("/", 1)[1] if backend else DEFAULT_BACKEND
    full = "/".join(p for p in (location.vault_namespace.strip("/"), location.logical) if p)
    node = ("VaultPath", ctx.id("VaultPath", None, key, full))
    if node[1] not in ctx.gd.nodes:
        ctx.gd.add_node(
            "VaultPath",
            node[1],
            **ctx.base_props(kind="VaultPath", name=location.logical),
            path=location.logical,
            api_path=location.api_path,
            mount=location.mount,
            kv_version=location.kv_version,
            vault_namespace=location.vault_namespace,
            backend=key,
        )
        if backend:
            ctx.gd.add_rel("BACKED_BY", node, backend)
    return node
