"""The exported SKILL.md on examples/platform (embedded engine, no server) lists every
name where it lists names: a list cut short (`... (6 in all)`) hides exactly the name an
assistant is looking for. Checked against the graph itself."""

import re

import pytest
from typer.testing import CliRunner

from kg.cli import app


@pytest.fixture(scope="module")
def exported(example_repo, tmp_path_factory):
    """The example loaded into an embedded graph and exported once: the export's folder."""
    tmp_path = tmp_path_factory.mktemp("complete-lists")
    graph = ["--engine", "embedded", "--graph", str(tmp_path / "graph")]
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NEO4J_URI", raising=False)
        assert runner.invoke(app, ["load", str(example_repo), *graph], catch_exceptions=False).exit_code == 0
        assert (
            runner.invoke(app, ["export", "--out", str(tmp_path / "out"), *graph], catch_exceptions=False).exit_code
            == 0
        )
    return tmp_path / "out"


def test_skill_md_lists_are_complete_against_the_graph(exported, example_load):
    skill = (exported / "flux-infra-guide" / "SKILL.md").read_text()
    assert not re.search(r"\(\d+ in all\)", skill)
    assert len(skill.splitlines()) <= 500

    gd = example_load.graph
    # who mounts the SecretProviderClass vault-papi: every workload, on its row of the Vault table
    (spc,) = [n for n in gd.by_label("SecretProviderClass") if n.props["name"] == "vault-papi"]
    # (by service name, as the skill names workloads: the Deployment beat serves celery-beat)
    mounting = sorted(
        {
            gd.nodes[r.start].props.get("service") or gd.nodes[r.start].props["name"]
            for r in gd.rels.values()
            if r.type == "MOUNTS" and r.end == spc.id
        }
    )
    assert len(mounting) > 4
    (row,) = [line for line in skill.splitlines() if line.startswith("| SecretProviderClass `vault-papi`")]
    assert row.rstrip(" |").endswith(", ".join(mounting))
    # who substitutes from cluster-vars: every Kustomization, on the substituteFrom line
    substituting = sorted(
        {
            gd.nodes[r.start].props["name"]
            for r in gd.rels.values()
            if r.type == "SUBSTITUTES_FROM" and r.end.endswith("/cluster-vars")
        }
    )
    (line,) = [text for text in skill.splitlines() if text.startswith("Kustomization spec.postBuild.substituteFrom (")]
    assert line.endswith(f": {', '.join(substituting)})")
    # a ConfigMap a chart is told to read by name (grafana-alloy's alloy.configMap.name) is
    # not "read by nothing": its entry names the release and the values path
    import json

    configmaps = json.loads((exported / "flux-infra-guide" / "data" / "configmaps.json").read_text())
    alloy = configmaps["configMaps"]["alloy-config"]
    assert alloy["namedIn"] == ["grafana-alloy (values.alloy.configMap.name)"]
    assert "Named in the Helm values of grafana-alloy" in alloy["description"]
    assert not [k for k, v in configmaps["configMaps"].items() if v.get("namedIn") and k != "alloy-config"]
    # each service names the service account its pods run as (a Vault role names it)
    services = json.loads((exported / "flux-infra-guide" / "data" / "services.json").read_text())["services"]
    assert services["papi"]["serviceAccount"] == "default"  # the example sets none


def test_skill_md_service_index_and_signal_flow_against_the_graph(exported, example_load):
    """Each service has one index row naming its namespace, Kustomization, mounted
    SecretProviderClasses, ConfigMaps and every Service it calls (a chart-made one through
    its HelmRelease); the Observability section names each store's tenant and labels."""
    skill = (exported / "flux-infra-guide" / "SKILL.md").read_text()
    gd = example_load.graph
    index = {}
    for line in skill.splitlines():
        m = re.match(r"^\| \*\*([\w.-]+)\*\* \| ([\w-]+) \| (.*) \|$", line)
        if m and line.count("|") == 9:
            index[m.group(1)] = [m.group(2)] + [c.strip() for c in m.group(3).split(" | ")]
    workloads = [n for n in gd.by_label("Workload") if n.props["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
    # a release whose chart was not rendered stands for what it makes (test_export_unrendered_releases.py)
    releases = {k for k, cells in index.items() if cells[1].startswith("HelmRelease")}
    unrendered = {n.props["name"] for n in gd.by_label("HelmRelease") if n.props.get("render_error")}
    assert releases <= unrendered
    index = {k: cells for k, cells in index.items() if k not in releases}
    assert sorted(index) == sorted(w.props.get("service") or w.props["name"] for w in workloads)

    def ends(rel_type, start, label):
        return [
            gd.nodes[r.end]
            for r in gd.rels.values()
            if r.type == rel_type and r.start == start and r.end_label == label
        ]

    for w in workloads:
        namespace, workload, kustomization, secrets, configmaps, calls, _ = index[
            w.props.get("service") or w.props["name"]
        ]
        assert namespace == w.props["namespace"]
        assert workload == (w.props["name"] if w.props["name"] != (w.props.get("service") or w.props["name"]) else "-")
        appliers = sorted(
            gd.nodes[r.start].props["name"] for r in gd.rels.values() if r.type == "MANAGES" and r.end == w.id
        )
        assert kustomization == (appliers[0] if appliers else "-")
        for spc in ends("MOUNTS", w.id, "SecretProviderClass"):
            assert f"CSI {spc.props['name']}" in secrets
        for cm in ends("USES", w.id, "ConfigMap"):
            assert cm.props["name"] in configmaps.split(", ")
        called = [
            n.props["name"]
            if n.props["namespace"] == w.props["namespace"]
            else f"{n.props['namespace']}/{n.props['name']}"
            for n in ends("CALLS", w.id, "Service")
        ]
        called += [f"{r.props['service'].split('.')[0]} (HelmRelease {gd.nodes[r.end].props['name']})"
                   for r in gd.rels.values() if r.type == "CALLS" and r.start == w.id and r.end_label == "HelmRelease"]  # fmt: skip
        for target in called:
            assert target in calls, (w.props["name"], target, calls)
    # the datastores of the issue: every user of neo4j and of redis-sentinel on its row
    for service in ("papi", "modelsync", "usearch-indexer", "usearch-query"):
        assert "neo4j (HelmRelease neo4j)" in index[service][5]
    for service in ("celery-beat", "celery-worker", "flower"):
        assert "redis-sentinel (HelmRelease redis-sentinel)" in index[service][5]
    assert index["celery-beat"][1] == "beat"  # the workload name where it differs

    # Observability: one row per writer of the Alloy pipeline, with tenant and labels
    ships = [r for r in gd.rels.values() if r.type == "SHIPS_TO"]
    assert {gd.nodes[r.end].props["name"] for r in ships} == {"loki", "mimir", "cortex"}
    for r in ships:
        (row,) = [line for line in skill.splitlines() if f"`{r.props['url']}`" in line and line.startswith("| ")]
        assert f"`{r.props['tenant']}` (X-Scope-OrgID)" in row and r.props["tenant"] == "runwhen-nonprod"
    assert '{cluster="platform-cluster-01", namespace="backend-services", app="papi"}' in skill
