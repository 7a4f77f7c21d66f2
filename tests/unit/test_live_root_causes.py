"""why and debug with a status snapshot walk MANAGES up from the target, then look up
what each manager waits on (WAITS_ON, kg/schema.py) to the cluster's failing root causes."""

from __future__ import annotations

from pathlib import Path


def test_debug_and_why_name_a_workload_failing_by_itself(example_load, tmp_path):
    """debug's live step walks from the target's managers through WAITS_ON; a workload that
    fails by itself waits on nothing, and its own part names it (the walk from the root
    causes this replaced found it on Neo4j only: a zero-hop dependsOn walk from a Workload
    matched nothing on the embedded engine)."""
    from kg import status
    from kg.config import EmbeddedSettings
    from kg.loaders.status import read_bytes
    from kg.questions import ask
    from kg.store import EmbeddedStore

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "status"
    objects = read_bytes((fixtures / "platform-helm-upgrade-failed.json").read_bytes(), "json")
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "papi":
            obj["status"] = {"replicas": 1, "readyReplicas": 0, "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                 "message": "Deployment does not have minimum availability."}]}  # fmt: skip
    with EmbeddedStore(EmbeddedSettings(tmp_path / "graph")) as store:
        store.write(example_load.graph, "repo", None)
        status.load(store, "platform-cluster", objects, "2026-12-06T03:00:00+00:00", "test", None)
        live = [r for r in ask(store, "debug", "papi").rows if r["step"] == 0]
        assert [(r["check"].split(":")[1].strip(), r["evidence"]) for r in live] == [
            ("Deployment backend-services/papi", "Deployment/papi")
        ], live
        why = ask(store, "why", "papi").rows
        assert [(r["verdict"], r["kind"], r["name"]) for r in why] == [
            ("root cause", "Deployment", "papi"),
            ("root cause", "HelmRelease", "vault"),
        ], why
