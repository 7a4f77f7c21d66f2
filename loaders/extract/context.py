"""Shared state of one cluster's extraction: the GraphDoc being filled, id rules and
lookups across objects (generated names, services, keys)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.graphdoc import GraphDoc

from ..model import ClusterRender, LoadWarning, Rendered, meta
from ..telemetry import Shipment

# kustomize's generator suffix: "-" and a 10-character hash
_HASH_SUFFIX = re.compile(r"^(?P<name>.+)-[a-z0-9]{10}$")
GENERATOR_KINDS = ("ConfigMapGenerator", "SecretGenerator")
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ClusterIssuer",
    "ClusterSecretStore",
    "PersistentVolume",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "ClusterPolicy",
    "GatewayClass",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
}
MAX_VALUE_CHARS = 4096


def logical_name(rendered: Rendered) -> tuple[str, str]:
    """(logical name, generated name) of an object; generated names carry a hash."""
    name = rendered.name
    if rendered.generated_by in GENERATOR_KINDS:
        m = _HASH_SUFFIX.match(name)
        if m:
            return m.group("name"), name
    return name, ""


def clip(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


@dataclass
class ClusterContext:
    repo: str
    cluster: ClusterRender
    gd: GraphDoc
    warnings: list[LoadWarning] = field(default_factory=list)
    # (kind, namespace, generated or logical name) -> logical name
    names: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # (namespace, configmap logical name) -> key names
    configmap_keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # (source node, service name, namespace, where: env or key name) named by in-cluster
    # addresses, linked at the end
    pending_calls: list[tuple[tuple[str, str], str, str, str]] = field(default_factory=list)
    # (collector configuration node, namespace, what it sends where), linked at the end
    pending_shipments: list[tuple[tuple[str, str], str, Shipment]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def prefix(self) -> str:
        return f"{self.repo}:{self.cluster.name}"

    def id(self, kind: str, namespace: str | None, *names: str) -> str:
        parts = [self.prefix, kind] + ([namespace] if namespace else []) + list(names)
        return "/".join(parts)

    def warn(self, file: str, reason: str) -> None:
        self.warnings.append(LoadWarning(file, None, reason, self.cluster.name))

    def base_props(
        self, rendered: Rendered | None = None, *, kind: str, name: str, namespace: str = "", source_file: str = ""
    ) -> dict[str, Any]:
        return {
            "name": name,
            "kind": kind,
            "repo": self.repo,
            "cluster": self.cluster.name,
            "namespace": namespace,
            "source_file": source_file or (rendered.source_file if rendered else ""),
        }

    def namespace_of(self, rendered: Rendered) -> str:
        if rendered.kind in CLUSTER_SCOPED_KINDS:
            return ""
        return rendered.namespace or "default"

    def resolve_name(self, kind: str, namespace: str, name: str) -> str:
        """Map a (possibly hashed) generated ConfigMap/Secret name to its logical name."""
        return self.names.get((kind, namespace, name), name)

    def namespace_node(self, namespace: str) -> tuple[str, str]:
        node_id = self.id("Namespace", None, namespace)
        if node_id not in self.gd.nodes:
            self.gd.add_node("Namespace", node_id, **self.base_props(kind="Namespace", name=namespace), declared=False)
        return ("Namespace", node_id)

    def in_namespace(self, node: tuple[str, str], namespace: str) -> None:
        if namespace:
            self.gd.add_rel("IN_NAMESPACE", node, self.namespace_node(namespace))

    def object_node(self, label: str, rendered: Rendered, *, name: str | None = None, **props: Any) -> tuple[str, str]:
        """The node of a rendered object: scoped id, common properties, its namespace and
        the Kustomization that applies it."""
        name = name or rendered.name
        namespace = self.namespace_of(rendered)
        node = (label, self.id(rendered.kind, namespace, name))
        self.gd.add_node(
            label, node[1], **self.base_props(rendered, kind=rendered.kind, name=name, namespace=namespace), **props
        )
        self.in_namespace(node, namespace)
        self.managed(rendered, node)
        return node

    def owner_node(self, owner: str) -> tuple[str, str]:
        """The node of a "Kind/namespace/name" owner (a ResourceSet or a HelmRelease)."""
        kind, namespace, name = owner.split("/", 2)
        return (kind, self.id(kind, namespace, name))

    def managed(self, rendered: Rendered, node: tuple[str, str]) -> None:
        if rendered.owner:  # made by a ResourceSet or a HelmRelease: that one applies it
            self.gd.add_rel("MANAGES", self.owner_node(rendered.owner), node)
            return
        ks_namespace, ks_name = rendered.managed_by.split("/", 1)
        owner = ("Kustomization", self.id("Kustomization", ks_namespace, ks_name))
        if owner[1] != node[1]:
            self.gd.add_rel("MANAGES", owner, node)


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def pairs(mapping: dict[str, Any] | None) -> list[str]:
    return [f"{k}={v}" for k, v in sorted((mapping or {}).items())] if isinstance(mapping, dict) else []
