"""Live Flux status: `kubectl get <kinds> -A -o json|yaml` output -> status records.

Pure: reads files (JSON or YAML, a `List` or single objects, gzip'd or not) and turns
what the cluster reports into one record per live object, matched to the repository's
graph nodes by cluster, kind, namespace and name. Knows nothing about databases: the
caller (kg/status.py) reads the graph's nodes and edges and writes the records.

Secrets are never read: a Secret in the input is dropped as it is parsed, before any of
its fields is looked at. Status messages are kept as Flux wrote them.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import as_dict
from .yamlio import BoundedSafeLoader

FLUX_KINDS = (
    "GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket", "ExternalArtifact",
    "Kustomization", "HelmRelease", "FluxInstance", "ResourceSet", "ResourceSetInputProvider",
    "Alert", "Provider", "Receiver", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation",
)  # fmt: skip
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod")
STATUS_KINDS = FLUX_KINDS + WORKLOAD_KINDS
# what `kg status load --live` asks kubectl for (the Flux ones by their full resource
# names: a bare `kustomization` may mean another API group's kind)
KUBECTL_RESOURCES = (
    "gitrepositories.source.toolkit.fluxcd.io", "ocirepositories.source.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io", "helmcharts.source.toolkit.fluxcd.io",
    "buckets.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmreleases.helm.toolkit.fluxcd.io", "deployments.apps", "statefulsets.apps", "daemonsets.apps",
    "cronjobs.batch", "jobs.batch",
)  # fmt: skip
OPTIONAL_KUBECTL_RESOURCES = ("fluxinstances.fluxcd.controlplane.io", "resourcesets.fluxcd.controlplane.io")

# Reasons that say "something else failed first" (kustomize-controller, helm-controller):
# the object waits on a dependency, or on its source's artifact.
DEPENDENCY_REASONS = {"DependencyNotReady"}
SOURCE_REASONS = {"ArtifactFailed", "SourceNotReady", "ArtifactNotFound", "HelmChartNotReady"}
# `[HelmRelease/vault/vault status: 'Failed']`: how Flux names a child it waited on
_NAMED_OBJECT = re.compile(r"([A-Z][A-Za-z]+)/([a-z0-9.-]+)/([a-z0-9.-]+)")
# kinds whose replica counts say whether they run
_REPLICATED = ("Deployment", "StatefulSet", "DaemonSet")

LIVE_ONLY, REPO_ONLY = "live only", "repo only"


class SnapshotError(ValueError):
    """A snapshot file kg cannot read (the CLI shows it as one line)."""


@dataclass
class LiveObject:
    """What the cluster reports for one object."""

    kind: str
    namespace: str
    name: str
    ready: str | None = None  # True / False / Unknown (the Ready condition)
    reason: str | None = None
    message: str | None = None
    since: str | None = None  # the Ready condition's lastTransitionTime
    suspended: bool = False
    applied_revision: str | None = None
    attempted_revision: str | None = None
    generation: int | None = None
    observed_generation: int | None = None
    stalled: bool = False
    ready_replicas: int | None = None
    desired_replicas: int | None = None
    generated: bool = False  # owned by another object (a HelmChart, a CronJob's Job): never drift

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def failing(self) -> bool:
        """Blocks delivery: not ready, stalled, suspended, or short of replicas."""
        if self.suspended or self.stalled or self.ready == "False":
            return True
        return self.desired_replicas is not None and (self.ready_replicas or 0) < self.desired_replicas


@dataclass
class GraphObject:
    """A node of the repository's graph that may be live (from cypher/status/graph_nodes.cypher)."""

    id: str
    label: str
    kind: str
    namespace: str
    name: str
    repo_revision: str | None = None


@dataclass
class StatusRecord:
    """One LiveStatus node: its properties and the graph nodes it is the status of."""

    id: str
    props: dict[str, Any]
    targets: list[GraphObject] = field(default_factory=list)


@dataclass
class StatusLayer:
    repo: str
    cluster: str
    snapshot: dict[str, Any]
    records: list[StatusRecord]


# -- reading ------------------------------------------------------------------------
def read_bytes(data: bytes, origin: str) -> list[dict[str, Any]]:
    """The objects of one `kubectl get -o json|yaml` output (gzip'd or not)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise SnapshotError(f"{origin}: not a readable gzip file ({exc})") from None
    text = data.decode("utf-8", errors="replace")
    documents: list[Any]
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError:
        try:
            documents = list(yaml.load_all(text, Loader=BoundedSafeLoader))
        except yaml.YAMLError as exc:
            raise SnapshotError(f"{origin}: neither JSON nor YAML: {str(exc).splitlines()[0]}") from None
    objects: list[dict[str, Any]] = []
    for document in documents:
        objects.extend(_flatten(document))
    if documents and not objects and not any(_is_list(d) for d in documents):
        raise SnapshotError(f"{origin}: no Kubernetes object in it (expected `kubectl get ... -o json` output)")
    return objects


def read_files(paths: Iterable[Path]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SnapshotError(f"cannot read {path}: {exc.strerror}") from None
        objects.extend(read_bytes(data, str(path)))
    return objects


def _is_list(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("items"), list)


def _flatten(document: Any) -> list[dict[str, Any]]:
    """A List's items, or the object itself; Secrets (and anything not a status kind)
    are dropped here, unread."""
    if _is_list(document):
        return [o for item in document["items"] for o in _flatten(item)]
    if not isinstance(document, dict) or document.get("kind") not in STATUS_KINDS:
        return []
    return [document]


# -- one object ---------------------------------------------------------------------
def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    for condition in status.get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return {}


def live_object(obj: dict[str, Any]) -> LiveObject:
    """The status fields of one object, as Flux and Kubernetes write them."""
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    kind = str(obj.get("kind"))
    live = LiveObject(kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    live.generated = bool(meta.get("ownerReferences")) or kind == "HelmChart"
    live.generation = _int(meta.get("generation"))
    live.observed_generation = _int(status.get("observedGeneration"))
    live.suspended = spec.get("suspend") is True
    ready = _condition(status, "Ready")
    if ready:
        live.ready = _text(ready.get("status"))
        live.reason = _text(ready.get("reason"))
        live.message = _text(ready.get("message"))
        live.since = _text(ready.get("lastTransitionTime"))
    live.stalled = _condition(status, "Stalled").get("status") == "True"
    artifact = as_dict(status.get("artifact"))
    live.applied_revision = _text(status.get("lastAppliedRevision")) or _text(artifact.get("revision"))
    live.attempted_revision = _text(status.get("lastAttemptedRevision"))
    history = status.get("history")
    if kind == "HelmRelease" and not live.applied_revision and isinstance(history, list) and history:
        latest = history[0] if isinstance(history[0], dict) else {}
        live.applied_revision = _text(latest.get("chartVersion"))
    if kind in _REPLICATED:
        _workload_status(live, kind, spec, status)
    elif kind == "Job" and _condition(status, "Failed").get("status") == "True":
        failed = _condition(status, "Failed")
        live.ready, live.reason, live.message = "False", _text(failed.get("reason")), _text(failed.get("message"))
    return live


def _workload_status(live: LiveObject, kind: str, spec: dict[str, Any], status: dict[str, Any]) -> None:
    if kind == "DaemonSet":
        live.desired_replicas = _int(status.get("desiredNumberScheduled")) or 0
        live.ready_replicas = _int(status.get("numberReady")) or 0
    else:
        desired = spec.get("replicas")
        live.desired_replicas = 1 if desired is None else _int(desired)
        live.ready_replicas = _int(status.get("readyReplicas")) or 0
    short = live.desired_replicas is not None and live.ready_replicas < live.desired_replicas
    live.ready = "False" if short else "True"
    # the condition that says why (Available: MinimumReplicasUnavailable, Progressing:
    # ProgressDeadlineExceeded), else the counts
    for kind_name in ("Progressing", "Available", "ReplicaFailure"):
        condition = _condition(status, kind_name)
        bad = condition.get("status") == ("True" if kind_name == "ReplicaFailure" else "False")
        if short and bad:
            live.reason, live.message = _text(condition.get("reason")), _text(condition.get("message"))
            live.since = _text(condition.get("lastTransitionTime"))
            break
    if short and not live.reason:
        live.reason = "NotReady"
    if short and not live.message:
        live.message = f"{live.ready_replicas}/{live.desired_replicas} replicas ready"


# -- matching and explaining ------------------------------------------------------------
@dataclass
class Edges:
    """The repository's delivery edges among a cluster's objects, by graph id."""

    depends_on: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)

    def add(self, rel_type: str, start: str, end: str) -> None:
        if rel_type == "DEPENDS_ON":
            self.depends_on.setdefault(start, []).append(end)
        elif rel_type == "FROM_SOURCE":
            self.sources.setdefault(start, []).append(end)
        elif rel_type == "MANAGES":
            self.children.setdefault(start, []).append(end)
            self.parents.setdefault(end, []).append(start)


def status_id(repo: str, cluster: str, kind: str, namespace: str, name: str) -> str:
    # `status::` cannot begin a repository node's id (`<repo>:<cluster>/...`, clusters are not empty)
    where = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
    return f"status::{repo}:{cluster}/{where}"


def describe(kind: str, namespace: str, name: str) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def build_layer(
    repo: str,
    cluster: str,
    objects: list[dict[str, Any]],
    graph: list[GraphObject],
    edges: Edges,
    snapshot_at: str,
    source: str,
) -> StatusLayer:
    """Status records for a cluster: every live object (matched to its graph nodes, or
    `live only`), and every graph object of a kind the snapshot covers that the cluster
    does not have (`repo only`); failing objects carry what explains them."""
    live_by_key: dict[tuple[str, str, str], LiveObject] = {}
    for obj in objects:
        live = live_object(obj)
        if live.kind != "Pod" and live.name:  # Pods have no node: their workload speaks for them
            live_by_key[live.key] = live
    covered = sorted({k for k, _, _ in live_by_key})
    graph_by_key: dict[tuple[str, str, str], list[GraphObject]] = {}
    for node in graph:
        graph_by_key.setdefault((node.kind, node.namespace, node.name), []).append(node)

    records: dict[str, StatusRecord] = {}
    by_graph_id: dict[str, StatusRecord] = {}
    for key, live in sorted(live_by_key.items()):
        targets = graph_by_key.get(key, [])
        if not targets and live.generated:
            continue  # made by a controller (HelmChart, a CronJob's Job): never in a repository
        record = StatusRecord(status_id(repo, cluster, *key), _props(repo, cluster, live, snapshot_at), targets)
        if not targets:
            record.props["status_drift"] = LIVE_ONLY
        revisions = [t.repo_revision for t in targets if t.repo_revision]
        if revisions and live.applied_revision:
            record.props["status_at_repo_revision"] = any(r in live.applied_revision for r in revisions)
        records[record.id] = record
        for target in targets:
            by_graph_id[target.id] = record
    covered_set = set(covered)
    for key, nodes in sorted(graph_by_key.items()):
        if key in live_by_key or key[0] not in covered_set:
            continue
        kind, namespace, name = key
        record = StatusRecord(
            status_id(repo, cluster, *key),
            {
                "id": status_id(repo, cluster, *key),
                "name": name,
                "kind": "LiveStatus",
                "cluster": cluster,
                "status_repo": repo,
                "namespace": namespace or None,
                "status_kind": kind,
                "status_drift": REPO_ONLY,
                "status_failing": True,
                "status_reason": "NotInCluster",
                "status_message": f"{describe(kind, namespace, name)} is in the repository but not in the cluster",
                "status_snapshot_at": snapshot_at,
            },  # fmt: skip
            nodes,
        )
        records[record.id] = record
        for node in nodes:
            by_graph_id[node.id] = record
    _explain(records, by_graph_id, edges)
    failing = sum(1 for r in records.values() if r.props.get("status_failing"))
    snapshot = {
        "id": f"status::{repo}:{cluster}", "name": cluster, "kind": "StatusSnapshot", "cluster": cluster,
        "status_repo": repo,
        "status_snapshot_at": snapshot_at, "status_source": source, "status_kinds": covered,
        "status_objects": len(live_by_key), "status_matched": sum(1 for r in records.values() if r.targets and
                                                                   r.props.get("status_drift") is None),
        "status_live_only": sum(1 for r in records.values() if r.props.get("status_drift") == LIVE_ONLY),
        "status_repo_only": sum(1 for r in records.values() if r.props.get("status_drift") == REPO_ONLY),
        "status_failing_count": failing,
    }  # fmt: skip
    return StatusLayer(repo, cluster, snapshot, [records[k] for k in sorted(records)])


def _props(repo: str, cluster: str, live: LiveObject, snapshot_at: str) -> dict[str, Any]:
    props = {
        "id": status_id(repo, cluster, *live.key), "name": live.name, "kind": "LiveStatus", "cluster": cluster,
        "status_repo": repo,
        "namespace": live.namespace or None, "status_kind": live.kind, "status_ready": live.ready,
        "status_reason": live.reason, "status_message": live.message, "status_since": live.since,
        "status_suspended": live.suspended, "status_applied_revision": live.applied_revision,
        "status_attempted_revision": live.attempted_revision, "status_generation": live.generation,
        "status_observed_generation": live.observed_generation, "status_stalled": live.stalled,
        "status_ready_replicas": live.ready_replicas, "status_desired_replicas": live.desired_replicas,
        "status_failing": live.failing, "status_snapshot_at": snapshot_at,
    }  # fmt: skip
    if live.suspended:
        # Flux writes no condition for a suspension: the Ready condition is the last one
        # it wrote before, which is not why nothing moves now
        last = f"; last reconciliation: {live.reason}: {live.message}" if live.reason else ""
        props["status_reason"], props["status_message"] = "Suspended", f"spec.suspend is true{last}"
    return props


# `flux reconcile source <this>` for each source kind
_SOURCE_COMMANDS = {"GitRepository": "git", "OCIRepository": "oci", "HelmRepository": "helm", "HelmChart": "chart",
                    "Bucket": "bucket"}  # fmt: skip


def next_command(props: dict[str, Any]) -> str:
    """The command to run next about a failing object (read-only where it can be)."""
    kind, name, namespace = props.get("status_kind") or "", props.get("name") or "", props.get("namespace") or ""
    where = f" -n {namespace}" if namespace else ""
    if props.get("status_drift") == REPO_ONLY:
        return f"kubectl get {kind.lower()} {name}{where}  # in the repository, not in the cluster: parent applied?"
    if props.get("status_suspended"):
        return f"flux resume {kind.lower()} {name}{where}  # it is suspended"
    if kind in _SOURCE_COMMANDS:
        return f"flux reconcile source {_SOURCE_COMMANDS[kind]} {name}{where}"
    if kind == "Kustomization":
        return f"flux reconcile kustomization {name}{where} --with-source"
    if kind == "HelmRelease":
        scope = f" --namespace={namespace}" if namespace else ""
        return f"flux logs --kind=HelmRelease --name={name}{scope} --level=error"
    return f"kubectl describe {kind.lower()} {name}{where}"


def _explain(records: dict[str, StatusRecord], by_graph_id: dict[str, StatusRecord], edges: Edges) -> None:
    """For each failing record, the failing object that explains it, if any (a
    DependencyNotReady Kustomization is explained by its dependency, a HealthCheckFailed
    one by the child it names, an object absent from the cluster by its absent or
    failing manager, ...); a failing record nothing explains is a root cause. Then each
    record's cause: the end of its chain of explanations."""

    def failing(graph_id: str) -> StatusRecord | None:
        record = by_graph_id.get(graph_id)
        return record if record is not None and record.props.get("status_failing") else None

    explained_by: dict[str, StatusRecord] = {}
    for record in records.values():
        props = record.props
        if not props.get("status_failing"):
            continue
        reason, message = props.get("status_reason") or "", props.get("status_message") or ""
        candidates: list[StatusRecord] = []
        for target in record.targets:
            if props.get("status_suspended"):
                break  # suspended by someone: the object itself is the cause
            deps = [r for r in (failing(d) for d in edges.depends_on.get(target.id, [])) if r]
            candidates += deps
            if reason in SOURCE_REASONS or reason in DEPENDENCY_REASONS:
                candidates += [r for r in (failing(s) for s in edges.sources.get(target.id, [])) if r]
            children = [r for r in (failing(c) for c in edges.children.get(target.id, [])) if r]
            named = {m.groups() for m in _NAMED_OBJECT.finditer(message)}
            live_children = [c for c in children if c.props.get("status_drift") != REPO_ONLY]
            candidates += [c for c in live_children if (c.props["status_kind"], c.props.get("namespace") or "",
                                                        c.props["name"]) in named]  # fmt: skip
            if reason == "HealthCheckFailed":
                candidates += live_children
            if props.get("status_drift") == REPO_ONLY:
                candidates += [r for r in (failing(p) for p in edges.parents.get(target.id, [])) if r]
        candidates = [c for c in candidates if c.id != record.id]
        if candidates:
            # the first by kind of explanation, then by id: the same on every run
            explained_by[record.id] = candidates[0]
            first = candidates[0].props
            props["status_explained_by"] = describe(first["status_kind"], first.get("namespace") or "", first["name"])
    for record in records.values():
        if not record.props.get("status_failing"):
            continue
        record.props["status_next"] = next_command(record.props)
        seen = {record.id}
        cause = record
        while cause.id in explained_by and explained_by[cause.id].id not in seen:
            cause = explained_by[cause.id]
            seen.add(cause.id)
        record.props["status_root_cause"] = record.id not in explained_by
        record.props["status_cause"] = describe(
            cause.props["status_kind"], cause.props.get("namespace") or "", cause.props["name"]
        )
