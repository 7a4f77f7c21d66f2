"""loaders/status.py: `kubectl get -o json|yaml` snapshots -> status records (no database)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import yaml

from kg.errors import NotFound
from kg.loaders import status as live_status
from kg.loaders.status import Edges, GraphObject, SnapshotError, build_layer, read_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "status"
SECRET_VALUE = "c3VwZXJzZWNyZXQtdmFsdWU="  # the fixtures' Secret data: it must never come through


def _objects(name: str) -> list[dict]:
    return read_bytes((FIXTURES / f"platform-{name}.json").read_bytes(), name)


def test_a_list_a_single_object_yaml_and_gzip_read_the_same():
    as_json = (FIXTURES / "platform-healthy.json").read_bytes()
    objects = read_bytes(as_json, "json")
    assert read_bytes(gzip.compress(as_json), "gz") == objects
    assert read_bytes(yaml.safe_dump(json.loads(as_json)).encode(), "yaml") == objects
    documents = "---\n".join(yaml.safe_dump(o) for o in objects)
    assert read_bytes(documents.encode(), "docs") == objects
    assert read_bytes(json.dumps(objects[0]).encode(), "one") == [objects[0]]


def test_secrets_and_unknown_kinds_are_dropped_unread():
    objects = _objects("healthy")
    assert not [o for o in objects if o["kind"] == "Secret"]
    assert SECRET_VALUE not in json.dumps(objects)
    assert SECRET_VALUE in (FIXTURES / "platform-healthy.json").read_text()  # the fixture does hold one


def test_unreadable_input_is_one_clear_error():
    with pytest.raises(SnapshotError, match="neither JSON nor YAML"):
        read_bytes(b"{ this: is: [not", "broken.json")
    with pytest.raises(SnapshotError, match="gzip"):
        read_bytes(b"\x1f\x8b\x08garbage", "broken.gz")
    with pytest.raises(SnapshotError, match="no Kubernetes object"):
        read_bytes(b"just text", "text.json")


def test_flux_conditions_revisions_and_replicas():
    objects = {(o["kind"], o["metadata"]["name"]): o for o in _objects("helm-upgrade-failed")}
    release = live_status.live_object(objects[("HelmRelease", "vault")])
    assert (release.ready, release.reason, release.stalled, release.failing) == ("False", "UpgradeFailed", True, True)
    assert release.message.startswith("Helm upgrade failed for release vault/vault with chart vault@0.29.0")
    assert release.generation == 2 and release.observed_generation == 1
    assert (release.applied_revision, release.attempted_revision) == ("0.28.1", "0.29.0")
    ks = live_status.live_object(objects[("Kustomization", "runwhen-corestate")])
    assert ks.reason == "DependencyNotReady"
    assert ks.message == "dependency 'flux-system/runwhen-backend-services' is not ready"
    deploy = objects[("Deployment", "papi")]
    assert live_status.live_object(deploy).failing is False
    deploy["status"]["readyReplicas"] = 1
    short = live_status.live_object(deploy)
    assert (short.failing, short.reason, short.message) == (True, "NotReady", "1/2 replicas ready")


def _graph() -> tuple[list[GraphObject], Edges]:
    """A small delivery chain: root -> (infra, apps); apps dependsOn infra; infra applies
    the HelmRelease db; apps applies the Deployment web; everything reads the repo."""

    def node(kind: str, ns: str, name: str) -> GraphObject:
        label = {"Deployment": "Workload", "GitRepository": "Source"}.get(kind, kind)
        return GraphObject(f"r:c/{kind}/{ns}/{name}", label, kind, ns, name)

    nodes = [node("GitRepository", "flux-system", "repo"), node("Kustomization", "flux-system", "infra"),
             node("Kustomization", "flux-system", "apps"), node("HelmRelease", "db", "db"),
             node("Deployment", "web", "web")]  # fmt: skip
    ids = {n.name: n.id for n in nodes}
    edges = Edges()
    edges.add("DEPENDS_ON", ids["apps"], ids["infra"])
    edges.add("MANAGES", ids["infra"], ids["db"])
    edges.add("MANAGES", ids["apps"], ids["web"])
    for ks in ("infra", "apps"):
        edges.add("FROM_SOURCE", ids[ks], ids["repo"])
    return nodes, edges


def _obj(
    kind: str, ns: str, name: str, ready: str = "True", reason: str = "Succeeded", message: str = "ok", **spec: object
) -> dict:
    return {
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": reason, "message": message}]},
    }


def _layer(objects: list[dict]):
    nodes, edges = _graph()
    layer = build_layer("r", "c", objects, nodes, edges, "2026-12-06T00:00:00+00:00", "test")
    return {(r.props["status_kind"], r.props["name"]): r.props for r in layer.records}, layer


def test_dependency_not_ready_is_a_symptom_the_failing_child_is_the_cause():
    records, layer = _layer([
        _obj("GitRepository", "flux-system", "repo"),
        _obj("Kustomization", "flux-system", "infra", "False", "HealthCheckFailed",
             "health check failed after 5m0s: failed early due to stalled resources: "
             "[HelmRelease/db/db status: 'Failed']"),
        _obj("Kustomization", "flux-system", "apps", "False", "DependencyNotReady",
             "dependency 'flux-system/infra' is not ready"),
        _obj("HelmRelease", "db", "db", "False", "InstallFailed",
             "Helm install failed for release db/db with chart db@1.0.0"),
        {"kind": "Deployment", "metadata": {"name": "web", "namespace": "web"}, "spec": {"replicas": 1},
         "status": {"readyReplicas": 1}},
    ])  # fmt: skip
    assert records[("HelmRelease", "db")]["status_root_cause"] is True
    assert records[("Kustomization", "infra")]["status_explained_by"] == "HelmRelease db/db"
    assert records[("Kustomization", "apps")]["status_root_cause"] is False
    assert records[("Kustomization", "apps")]["status_cause"] == "HelmRelease db/db"
    assert records[("Deployment", "web")]["status_failing"] is False
    assert layer.snapshot["status_failing_count"] == 3


def test_drift_both_ways_and_generated_objects_are_not_drift():
    records, layer = _layer([
        _obj("GitRepository", "flux-system", "repo"), _obj("Kustomization", "flux-system", "infra"),
        _obj("HelmRelease", "db", "db"), _obj("Kustomization", "flux-system", "legacy"),
        {"kind": "HelmChart", "metadata": {"name": "db-db", "namespace": "flux-system"}, "status": {}},
        {"kind": "Deployment", "metadata": {"name": "other", "namespace": "web"}, "spec": {},
         "status": {"readyReplicas": 1}},
    ])  # fmt: skip
    assert records[("Kustomization", "legacy")]["status_drift"] == "live only"
    assert records[("Kustomization", "apps")]["status_drift"] == "repo only"
    assert records[("Kustomization", "apps")]["status_root_cause"] is True
    # web is applied by apps, which is not live either: apps is the cause
    assert records[("Deployment", "web")]["status_explained_by"] == "Kustomization flux-system/apps"
    assert ("HelmChart", "db-db") not in records
    assert (layer.snapshot["status_live_only"], layer.snapshot["status_repo_only"]) == (2, 2)


def test_a_suspended_kustomization_is_the_cause_whatever_its_last_condition():
    records, _ = _layer([_obj("Kustomization", "flux-system", "apps", suspend=True)])
    apps = records[("Kustomization", "apps")]
    assert (apps["status_reason"], apps["status_failing"], apps["status_root_cause"]) == ("Suspended", True, True)
    assert apps["status_next"] == "flux resume kustomization apps -n flux-system  # it is suspended"


def test_a_kind_the_snapshot_does_not_cover_is_not_drift():
    records, _ = _layer([_obj("Kustomization", "flux-system", "infra")])
    assert ("Deployment", "web") not in records and ("HelmRelease", "db") not in records


def test_a_graph_file_from_before_the_status_layer_answers_as_without_a_snapshot(tmp_path, monkeypatch, example_load):
    """Its tables lack LiveStatus, StatusSnapshot and STATUS_OF: questions still answer
    (no live rows), and `kg db status` lists no snapshot."""
    from kg.questions import ask
    from kg.store import embedded_store
    from kg.store.embedded_store import EmbeddedStore, table_statements

    status_tables = ("LiveStatus", "StatusSnapshot", "STATUS_OF")
    table_name = re.compile(r"CREATE (?:NODE|REL) TABLE (\w+)\(")
    older = [t for t in table_statements() if table_name.search(t).group(1) not in status_tables]
    monkeypatch.setattr(embedded_store, "table_statements", lambda: older)
    from kg.config import EmbeddedSettings

    with EmbeddedStore(EmbeddedSettings.resolve(str(tmp_path / "graph"))) as store:
        store.write(example_load.graph, "platform", None, {"path": "examples/platform"})
        monkeypatch.undo()
        assert not [r for r in ask(store, "problems", None).rows if "(live)" in r["problem"]]
        assert ask(store, "why", "Deployment/papi").rows == []
        assert store.status()["status_snapshots"] == []
        with pytest.raises(NotFound, match="nothing named 'nothing-here'"):
            ask(store, "where", "nothing-here")
        with pytest.raises(NotFound, match="is a Kustomization"):
            ask(store, "secrets", "Kustomization/flux-system")
