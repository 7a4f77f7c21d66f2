"""Workloads, Services and Namespaces, and what each workload references:
SecretProviderClass mounts, ConfigMaps/Secrets (env, envFrom, volumes, imagePullSecrets)
and the individual ConfigMap keys it reads."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..model import Rendered
from .context import ClusterContext, labels_of, pairs

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")
CSI_DRIVER = "secrets-store.csi.k8s.io"
SERVICE_LABEL_KEYS = ("app", "app.kubernetes.io/name", "k8s-app", "name")
DESCRIPTION_KEYS = ("kubernetes.io/description", "description")
# name.namespace.svc[.cluster.local][:port] inside any URL or host string
IN_CLUSTER_HOST = re.compile(r"(?<![\w.-])([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\b")


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {}) if isinstance(spec.get("jobTemplate"), dict) else {}
    template = spec.get("template")
    return template if isinstance(template, dict) else {}


def _containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for field_name in ("initContainers", "containers"):
        for c in pod_spec.get(field_name) or []:
            if isinstance(c, dict):
                yield c


def in_cluster_hosts(text: str) -> list[tuple[str, str]]:
    """(service, namespace) pairs named by in-cluster DNS names in a text."""
    return [(m.group(1), m.group(3)) for m in IN_CLUSTER_HOST.finditer(text or "")]


def add_namespace(ctx: ClusterContext, rendered: Rendered) -> None:
    node_id = ctx.id("Namespace", None, rendered.name)
    node = ctx.gd.add_node("Namespace", node_id, **ctx.base_props(rendered, kind="Namespace", name=rendered.name))
    node.props["declared"] = True
    ctx.managed(rendered, ("Namespace", node_id))


def add_service(ctx: ClusterContext, rendered: Rendered) -> None:
    spec = rendered.obj.get("spec") if isinstance(rendered.obj.get("spec"), dict) else {}
    ports = [
        f"{p.get('port')}/{p.get('protocol') or 'TCP'}" + (f" ({p['name']})" if p.get("name") else "")
        for p in spec.get("ports") or []
        if isinstance(p, dict)
    ]
    ctx.object_node(
        "Service",
        rendered,
        selector=pairs(spec.get("selector")),
        ports=ports,
        service_type=spec.get("type") or "ClusterIP",
    )


def add_workload(ctx: ClusterContext, rendered: Rendered) -> None:
    obj = rendered.obj
    namespace = ctx.namespace_of(rendered)
    template = pod_template(obj)
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    pod_labels = labels_of(template)
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    service_name = next((pod_labels[k] for k in SERVICE_LABEL_KEYS if pod_labels.get(k)), rendered.name)
    containers = list(_containers(pod_spec))
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    node = ctx.object_node(
        "Workload",
        rendered,
        images=[str(c.get("image")) for c in containers if c.get("image")],
        containers=[str(c.get("name")) for c in containers if c.get("name")],
        replicas=spec.get("replicas") if isinstance(spec.get("replicas"), int) else None,
        schedule=spec.get("schedule") if rendered.kind == "CronJob" else None,
        app=service_name,
        service=service_name,
        description=next((str(annotations[k]) for k in DESCRIPTION_KEYS if isinstance(annotations, dict) and annotations.get(k)), None),
        pod_labels=pairs(pod_labels),
    )
    _add_pod_references(ctx, node, namespace, pod_spec, containers)


def _ref(ctx: ClusterContext, kind: str, namespace: str, name: str) -> tuple[str, str]:
    logical = ctx.resolve_name(kind, namespace, name)
    return ctx.gd.ref(kind, ctx.id(kind, namespace, logical), **ctx.base_props(kind=kind, name=logical, namespace=namespace))


def _add_pod_references(
    ctx: ClusterContext, node: tuple[str, str], namespace: str, pod_spec: dict[str, Any], containers: list[dict[str, Any]]
) -> None:
    gd = ctx.gd
    volumes = [v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)]
    mounts: dict[str, str] = {}
    for c in containers:
        for m in c.get("volumeMounts") or []:
            if isinstance(m, dict) and m.get("name") and m.get("mountPath"):
                mounts.setdefault(str(m["name"]), str(m["mountPath"]))
    for volume in volumes:
        vname = str(volume.get("name") or "")
        csi = volume.get("csi") if isinstance(volume.get("csi"), dict) else None
        if csi and csi.get("driver") == CSI_DRIVER:
            spc = str((csi.get("volumeAttributes") or {}).get("secretProviderClass") or "")
            if spc:
                target = gd.ref(
                    "SecretProviderClass",
                    ctx.id("SecretProviderClass", namespace, spc),
                    **ctx.base_props(kind="SecretProviderClass", name=spc, namespace=namespace),
                )
                gd.add_rel("MOUNTS", node, target, rel_key=vname, volume=vname, mount_path=mounts.get(vname))
        if isinstance(volume.get("configMap"), dict) and volume["configMap"].get("name"):
            gd.add_rel("USES", node, _ref(ctx, "ConfigMap", namespace, str(volume["configMap"]["name"])), rel_key="volume", via="volume")
        if isinstance(volume.get("secret"), dict) and volume["secret"].get("secretName"):
            gd.add_rel("USES", node, _ref(ctx, "Secret", namespace, str(volume["secret"]["secretName"])), rel_key="volume", via="volume")
        for source in ((volume.get("projected") or {}).get("sources") or []) if isinstance(volume.get("projected"), dict) else []:
            if not isinstance(source, dict):
                continue
            for kind, field_name in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if isinstance(source.get(field_name), dict) and source[field_name].get("name"):
                    gd.add_rel("USES", node, _ref(ctx, kind, namespace, str(source[field_name]["name"])), rel_key="volume", via="projected volume")
    for secret in pod_spec.get("imagePullSecrets") or []:
        if isinstance(secret, dict) and secret.get("name"):
            gd.add_rel("USES", node, _ref(ctx, "Secret", namespace, str(secret["name"])), rel_key="imagePullSecrets", via="imagePullSecrets")
    for c in containers:
        for env_from in c.get("envFrom") or []:
            if not isinstance(env_from, dict):
                continue
            cm = env_from.get("configMapRef") if isinstance(env_from.get("configMapRef"), dict) else None
            if cm and cm.get("name"):
                target = _ref(ctx, "ConfigMap", namespace, str(cm["name"]))
                gd.add_rel("USES", node, target, rel_key="envFrom", via="envFrom")
                logical = ctx.resolve_name("ConfigMap", namespace, str(cm["name"]))
                for key in ctx.configmap_keys.get((namespace, logical), []):
                    key_node = ("ConfigKey", ctx.id("ConfigKey", namespace, logical, key))
                    gd.add_rel("READS_KEY", node, key_node, rel_key=key, env=str(env_from.get("prefix") or "") + key, via="envFrom")
            sec = env_from.get("secretRef") if isinstance(env_from.get("secretRef"), dict) else None
            if sec and sec.get("name"):
                gd.add_rel("USES", node, _ref(ctx, "Secret", namespace, str(sec["name"])), rel_key="envFrom", via="envFrom")
        for env in c.get("env") or []:
            if not isinstance(env, dict):
                continue
            value_from = env.get("valueFrom") if isinstance(env.get("valueFrom"), dict) else {}
            cm_key = value_from.get("configMapKeyRef") if isinstance(value_from.get("configMapKeyRef"), dict) else None
            if cm_key and cm_key.get("name"):
                target = _ref(ctx, "ConfigMap", namespace, str(cm_key["name"]))
                gd.add_rel("USES", node, target, rel_key="env", via="env")
                logical = target[1].rsplit("/", 1)[1]
                key = str(cm_key.get("key") or "")
                key_node = gd.ref(
                    "ConfigKey",
                    ctx.id("ConfigKey", namespace, logical, key),
                    **ctx.base_props(kind="ConfigKey", name=key, namespace=namespace),
                    key=key,
                    configmap=logical,
                )
                gd.add_rel("READS_KEY", node, key_node, rel_key=key, env=env.get("name"), via="env")
            sec_key = value_from.get("secretKeyRef") if isinstance(value_from.get("secretKeyRef"), dict) else None
            if sec_key and sec_key.get("name"):
                gd.add_rel("USES", node, _ref(ctx, "Secret", namespace, str(sec_key["name"])), rel_key="env", via="env", secret_key=sec_key.get("key"))
            if isinstance(env.get("value"), str):
                for service, svc_namespace in in_cluster_hosts(env["value"]):
                    ctx.pending_calls.append((node, service, svc_namespace))


def link_services(ctx: ClusterContext) -> None:
    """Service -[:SELECTS]-> Workload when the selector matches the pod labels."""
    gd = ctx.gd
    workloads = gd.by_label("Workload")
    for service in gd.by_label("Service"):
        selector = set(service.props.get("selector") or [])
        if not selector:
            continue
        for workload in workloads:
            if workload.props.get("namespace") == service.props.get("namespace") and selector <= set(workload.props.get("pod_labels") or []):
                gd.add_rel("SELECTS", ("Service", service.id), ("Workload", workload.id))


def link_calls(ctx: ClusterContext) -> None:
    """CALLS to Services named by in-cluster URLs, when the Service is in the graph.
    Charts are not rendered, so a secret backend whose Service would come from a chart
    is linked to the HelmRelease deploying into that namespace whose release name
    starts its service name (`vault` serves vault.vault.svc)."""
    releases = ctx.gd.by_label("HelmRelease")
    for source, service, namespace in ctx.pending_calls:
        target_id = ctx.id("Service", namespace, service)
        if target_id in ctx.gd.nodes:
            ctx.gd.add_rel("CALLS", source, ("Service", target_id))
            if source[0] == "SecretBackend":
                ctx.gd.add_rel("SERVED_BY", source, ("Service", target_id))
            continue
        if source[0] != "SecretBackend":
            continue
        for release in releases:
            name = str(release.props.get("release_name") or "")
            if release.props.get("deploys_to") == namespace and name and service.startswith(name):
                ctx.gd.add_rel("SERVED_BY", source, ("HelmRelease", release.id))
