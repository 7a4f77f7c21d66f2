"""Workloads, Services and Namespaces, and what each workload references:
SecretProviderClass mounts, ConfigMaps/Secrets (env, envFrom, volumes, imagePullSecrets)
and the individual ConfigMap keys it reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..model import Rendered, as_dict, without_credentials
from .context import ClusterContext, clip, labels_of, pairs

CSI_DRIVER = "secrets-store.csi.k8s.io"
SERVICE_LABEL_KEYS = ("app", "app.kubernetes.io/name", "k8s-app", "name")
DESCRIPTION_KEYS = ("kubernetes.io/description", "description")
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
# name.namespace.svc[.cluster.local]: an in-cluster name wherever it appears
SVC_FQDN = re.compile(rf"(?<![\w.-])({_LABEL})\.({_LABEL})\.svc(?:\.cluster\.local)?(?![\w-])")
# the host of a URL (scheme://[user@]host[:port]) inside any text
_URL_HOST = re.compile(r"(?<![\w.+-])[a-z][a-z0-9+.-]*://(?:[^@/\s]*@)?([a-z0-9][a-z0-9.-]*)", re.IGNORECASE)
# a whole value that is a host or host:port
_HOST_VALUE = re.compile(r"^([a-z0-9][a-z0-9.-]*)(:\d{1,5})?$", re.IGNORECASE)
# key or env names whose bare-word value is a host name (REDIS_HOST=redis); not
# *SERVICE_NAME, which usually names the workload itself (OTEL_SERVICE_NAME=papi)
_HOST_HINT = re.compile(r"host|addr|server|endpoint|url|uri", re.IGNORECASE)
_SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    spec = as_dict(obj.get("spec"))
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {}) if isinstance(spec.get("jobTemplate"), dict) else {}
    template = spec.get("template")
    return template if isinstance(template, dict) else {}


def _containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for field_name in ("initContainers", "containers"):
        for c in pod_spec.get(field_name) or []:
            if isinstance(c, dict):
                yield c


def called_services(text: str, namespace: str, hint: str = "") -> list[tuple[str, str]]:
    """(service, namespace) pairs a configuration value may call, in order:
    `name.ns.svc[.cluster.local]` anywhere; `name.ns` and a bare `name` (in `namespace`)
    only as the host of a URL or as the whole value with a port, or, for a bare name
    without port, when the key's name says it holds a host (`hint`). These are
    candidates: link_calls keeps those naming a Service the cluster has."""
    text = text or ""
    found = [(m.group(1), m.group(2)) for m in SVC_FQDN.finditer(text)]
    hosts = [m.group(1) for m in _URL_HOST.finditer(text)]
    whole = _HOST_VALUE.match(text.strip())
    if whole and (whole.group(2) or "." in whole.group(1) or _HOST_HINT.search(hint)):
        hosts.append(whole.group(1))
    for host in hosts:
        labels = host.lower().rstrip(".").split(".")
        if labels[0] == "localhost":
            continue
        if len(labels) == 1 and _SERVICE_NAME.match(labels[0]):
            found.append((labels[0], namespace))
        elif len(labels) == 2 and _SERVICE_NAME.match(labels[0]):
            found.append((labels[0], labels[1]))
    return list(dict.fromkeys(found))


def add_namespace(ctx: ClusterContext, rendered: Rendered) -> None:
    node_id = ctx.id("Namespace", None, rendered.name)
    node = ctx.gd.add_node("Namespace", node_id, **ctx.base_props(rendered, kind="Namespace", name=rendered.name))
    node.props["declared"] = True
    ctx.managed(rendered, ("Namespace", node_id))


def add_service(ctx: ClusterContext, rendered: Rendered) -> None:
    spec = as_dict(rendered.obj.get("spec"))
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


def _label_selector(spec: dict[str, Any], pod_labels: dict[str, str]) -> str:
    """`kubectl -l` text for the workload's pods: its selector's matchLabels, else its pod labels."""
    selector = as_dict(spec.get("selector"))
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else None
    return ",".join(pairs(match if match else pod_labels))


def add_workload(ctx: ClusterContext, rendered: Rendered) -> None:
    obj = rendered.obj
    namespace = ctx.namespace_of(rendered)
    template = pod_template(obj)
    pod_spec = as_dict(template.get("spec"))
    pod_labels = labels_of(template)
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    service_name = next((pod_labels[k] for k in SERVICE_LABEL_KEYS if pod_labels.get(k)), rendered.name)
    containers = list(_containers(pod_spec))
    spec = as_dict(obj.get("spec"))
    node = ctx.object_node(
        "Workload",
        rendered,
        images=[str(c.get("image")) for c in containers if c.get("image")],
        containers=[str(c.get("name")) for c in containers if c.get("name")],
        replicas=spec.get("replicas") if isinstance(spec.get("replicas"), int) else None,
        schedule=spec.get("schedule") if rendered.kind == "CronJob" else None,
        app=service_name,
        service=service_name,
        description=next(
            (str(annotations[k]) for k in DESCRIPTION_KEYS if isinstance(annotations, dict) and annotations.get(k)),
            None,
        ),
        pod_labels=pairs(pod_labels),
        label_selector=_label_selector(spec, pod_labels),
        # the identity a Vault role or cloud IAM binding names; Kubernetes' default when unset
        service_account=str(pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount") or "default"),
        container_resources=container_resources(containers),
        env=container_env(containers),
        probes=container_probes(containers),
    )
    _add_pod_references(ctx, node, namespace, pod_spec, containers)


# a literal env value kept for a change review: clipped, never a Secret's (those are references)
MAX_ENV_CHARS = 256
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _compact(value: Any) -> str:
    """A field's value on one line, keys sorted: `{"httpGet":{"path":"/healthz","port":8080}}`."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def container_resources(containers: list[dict[str, Any]]) -> list[str]:
    """`container: requests cpu=100m memory=128Mi; limits memory=256Mi` per container that sets any."""
    out = []
    for c in containers:
        resources = as_dict(c.get("resources"))
        parts = [
            f"{part} " + " ".join(f"{k}={v}" for k, v in sorted(as_dict(resources.get(part)).items()))
            for part in ("requests", "limits")
            if as_dict(resources.get(part))
        ]
        if parts:
            out.append(f"{c.get('name')}: " + "; ".join(parts))
    return out


def container_env(containers: list[dict[str, Any]]) -> list[str]:
    """`container: NAME=value` for a literal value (as applied, clipped), `container: NAME <- secretKeyRef
    name/key` (or configMapKeyRef, fieldRef, ...) for one read from elsewhere: never a Secret's value."""
    out = []
    for c in containers:
        for env in c.get("env") or []:
            env = as_dict(env)
            if not env.get("name"):
                continue
            value_from = as_dict(env.get("valueFrom"))
            if value_from:
                (source, ref), *_ = sorted(value_from.items())
                ref = as_dict(ref)
                target = "/".join(str(ref[k]) for k in ("name", "key", "fieldPath", "resource") if ref.get(k))
                out.append(f"{c.get('name')}: {env['name']} <- {source} {target}".rstrip())
            else:
                out.append(f"{c.get('name')}: {env['name']}={clip(str(env.get('value') or ''), MAX_ENV_CHARS)}")
    return out


def container_probes(containers: list[dict[str, Any]]) -> list[str]:
    """`container: livenessProbe {...}` per probe, its fields compact and sorted."""
    return [
        f"{c.get('name')}: {probe} {_compact(c[probe])}"
        for c in containers
        for probe in PROBES
        if isinstance(c.get(probe), dict)
    ]


def _ref(ctx: ClusterContext, kind: str, namespace: str, name: str) -> tuple[str, str]:
    logical = ctx.resolve_name(kind, namespace, name)
    return ctx.gd.ref(
        kind, ctx.id(kind, namespace, logical), **ctx.base_props(kind=kind, name=logical, namespace=namespace)
    )


def _item_keys(source: dict[str, Any]) -> list[str]:
    """The keys a configMap/secret volume projects (`items`); none listed means all."""
    return [str(i["key"]) for i in source.get("items") or [] if isinstance(i, dict) and i.get("key")]


def _add_pod_references(
    ctx: ClusterContext,
    node: tuple[str, str],
    namespace: str,
    pod_spec: dict[str, Any],
    containers: list[dict[str, Any]],
) -> None:
    """MOUNTS, USES and READS_KEY from one pod template. References to one object by
    one route (env, envFrom, a volume, imagePullSecrets) are one USES relationship
    listing the keys and env names, so no key read is lost to a merge."""
    gd = ctx.gd
    mounts: dict[str, str] = {}
    for c in containers:
        for m in c.get("volumeMounts") or []:
            if isinstance(m, dict) and m.get("name") and m.get("mountPath"):
                mounts.setdefault(str(m["name"]), str(m["mountPath"]))
    uses: dict[tuple[tuple[str, str], str], dict[str, Any]] = {}

    def use(
        kind: str, name: Any, via: str, rel_key: str = "", keys: Iterable[str] = (), env: str = "", volume: str = ""
    ) -> tuple[str, str] | None:
        if not name:
            return None
        target = _ref(ctx, kind, namespace, str(name))
        entry = uses.setdefault(
            (target, rel_key or via),
            {"via": via, "keys": [], "env": [], "volume": volume, "mount_path": mounts.get(volume)},
        )
        for key in keys:
            if key and key not in entry["keys"]:
                entry["keys"].append(key)
        if env and env not in entry["env"]:
            entry["env"].append(env)
        return target

    for volume in pod_spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        vname = str(volume.get("name") or "")
        csi = as_dict(volume.get("csi"))
        if csi.get("driver") == CSI_DRIVER:
            spc = str(as_dict(csi.get("volumeAttributes")).get("secretProviderClass") or "")
            if spc:
                target = gd.ref(
                    "SecretProviderClass",
                    ctx.id("SecretProviderClass", namespace, spc),
                    **ctx.base_props(kind="SecretProviderClass", name=spc, namespace=namespace),
                )
                gd.add_rel("MOUNTS", node, target, rel_key=vname, volume=vname, mount_path=mounts.get(vname))
        if csi:
            # credentials the CSI provider authenticates with (e.g. Azure Key Vault)
            use(
                "Secret",
                as_dict(csi.get("nodePublishSecretRef")).get("name"),
                "csi nodePublishSecretRef",
                f"volume:{vname}",
                volume=vname,
            )
        config_map, secret = as_dict(volume.get("configMap")), as_dict(volume.get("secret"))
        use("ConfigMap", config_map.get("name"), "volume", f"volume:{vname}", _item_keys(config_map), volume=vname)
        use("Secret", secret.get("secretName"), "volume", f"volume:{vname}", _item_keys(secret), volume=vname)
        for source in as_dict(volume.get("projected")).get("sources") or []:
            for kind, field_name in (("ConfigMap", "configMap"), ("Secret", "secret")):
                ref = as_dict(as_dict(source).get(field_name))
                use(kind, ref.get("name"), "projected volume", f"volume:{vname}", _item_keys(ref), volume=vname)
    for secret in pod_spec.get("imagePullSecrets") or []:
        use("Secret", as_dict(secret).get("name"), "imagePullSecrets")
    for c in containers:
        # addresses in the command line: --redis=redis.backend-services.svc:6379, a URL
        for field_name in ("command", "args"):
            for i, arg in enumerate(c.get(field_name) or []):
                if isinstance(arg, str):
                    for service, svc_namespace in called_services(arg.partition("=")[2] or arg, namespace):
                        ctx.pending_calls.append((node, service, svc_namespace, f"{c.get('name')} {field_name}[{i}]"))
        for env_from in c.get("envFrom") or []:
            env_from = as_dict(env_from)
            use("Secret", as_dict(env_from.get("secretRef")).get("name"), "envFrom")
            cm_name = as_dict(env_from.get("configMapRef")).get("name")
            if use("ConfigMap", cm_name, "envFrom"):
                logical = ctx.resolve_name("ConfigMap", namespace, str(cm_name))
                for key in ctx.configmap_keys.get((namespace, logical), []):
                    key_node = ("ConfigKey", ctx.id("ConfigKey", namespace, logical, key))
                    gd.add_rel(
                        "READS_KEY",
                        node,
                        key_node,
                        rel_key=key,
                        env=str(env_from.get("prefix") or "") + key,
                        via="envFrom",
                    )
        for env in c.get("env") or []:
            env = as_dict(env)
            env_name = str(env.get("name") or "")
            value_from = as_dict(env.get("valueFrom"))
            sec_key = as_dict(value_from.get("secretKeyRef"))
            use("Secret", sec_key.get("name"), "env", keys=[str(sec_key.get("key") or "")], env=env_name)
            cm_key = as_dict(value_from.get("configMapKeyRef"))
            key = str(cm_key.get("key") or "")
            if use("ConfigMap", cm_key.get("name"), "env", keys=[key], env=env_name):
                logical = ctx.resolve_name("ConfigMap", namespace, str(cm_key["name"]))
                key_node = gd.ref(
                    "ConfigKey",
                    ctx.id("ConfigKey", namespace, logical, key),
                    **ctx.base_props(kind="ConfigKey", name=key, namespace=namespace),
                    key=key,
                    configmap=logical,
                )
                gd.add_rel("READS_KEY", node, key_node, rel_key=key, env=env_name, via="env")
            if isinstance(env.get("value"), str):
                for service, svc_namespace in called_services(env["value"], namespace, env_name):
                    ctx.pending_calls.append((node, service, svc_namespace, env_name))
    for (target, rel_key), entry in uses.items():
        gd.add_rel("USES", node, target, rel_key=rel_key, **entry)


def link_services(ctx: ClusterContext) -> None:
    """Service -[:SELECTS]-> Workload when the selector matches the pod labels."""
    gd = ctx.gd
    mine = ctx.prefix + "/"  # the GraphDoc holds every cluster of the repo
    workloads = [w for w in gd.by_label("Workload") if w.id.startswith(mine)]
    for service in [s for s in gd.by_label("Service") if s.id.startswith(mine)]:
        selector = set(service.props.get("selector") or [])
        if not selector:
            continue
        for workload in workloads:
            if workload.props.get("namespace") == service.props.get("namespace") and selector <= set(
                workload.props.get("pod_labels") or []
            ):
                gd.add_rel("SELECTS", ("Service", service.id), ("Workload", workload.id))


def _release_making(releases: list[Any], service: str, namespace: str) -> Any | None:
    """The HelmRelease deploying into `namespace` whose release name starts `service`."""
    for release in releases:
        name = str(release.props.get("release_name") or "")
        if release.props.get("deploys_to") == namespace and name and service.startswith(name):
            return release
    return None


def _call_target(
    ctx: ClusterContext, releases: list[Any], service: str, namespace: str
) -> tuple[tuple[str, str], dict[str, Any]] | None:
    """The Service an address names, else the HelmRelease that would make it (with the
    properties marking the link inferred), else None."""
    target_id = ctx.id("Service", namespace, service)
    if target_id in ctx.gd.nodes:
        return ("Service", target_id), {}
    release = _release_making(releases, service, namespace)
    if release is None:
        return None
    return ("HelmRelease", release.id), {"inferred": True, "service": f"{service}.{namespace}"}


def link_calls(ctx: ClusterContext) -> None:
    """CALLS to Services named by in-cluster addresses (any scheme, host:port, a bare
    `name.ns.svc`), when the Service is in the graph. A Service a chart would make whose
    chart was not rendered: the call goes to the HelmRelease deploying into that
    namespace whose release name starts the service name (`redis-sentinel` serves
    redis-sentinel.backend-services.svc), marked inferred; a secret backend is SERVED_BY it.
    A collector's writers SHIPS_TO the Service (or HelmRelease) of their endpoint."""
    releases = [r for r in ctx.gd.by_label("HelmRelease") if r.id.startswith(ctx.prefix + "/")]
    made_by = {r.end: r.start for r in ctx.gd.rels.values() if r.type == "MANAGES" and r.start_label == "HelmRelease"}
    for source, service, namespace, via in ctx.pending_calls:
        if source[0] == "HelmRelease" and (
            made_by.get(ctx.id("Service", namespace, service)) == source[1]
            or getattr(_release_making(releases, service, namespace), "id", None) == source[1]
        ):
            continue  # a chart's values naming its own Services are not a call
        found = _call_target(ctx, releases, service, namespace)
        if found is None:
            continue
        target, inferred = found
        if source[0] == "SecretBackend":
            ctx.gd.add_rel("SERVED_BY", source, target)
        if source[0] != "SecretBackend" or not inferred:
            ctx.gd.add_rel("CALLS", source, target, via=via, **inferred)
    for source, own_namespace, shipment in ctx.pending_shipments:
        props = {
            "signal": shipment.signal,
            "component": shipment.component,
            "url": without_credentials(shipment.url),
            "tenant": shipment.tenant,
            "tenant_header": shipment.tenant_header,
            "labels": shipment.labels,
            "sources": shipment.sources,
        }
        for service, namespace in called_services(shipment.url, own_namespace):
            found = _call_target(ctx, releases, service, namespace)
            if found is not None:
                target, inferred = found
                ctx.gd.add_rel("SHIPS_TO", source, target, rel_key=shipment.component, **inferred, **props)
                break
