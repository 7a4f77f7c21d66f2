"""The exported SKILL.md on examples/platform (embedded engine, no server) lists every
name where it lists names: a list cut short (`... (6 in all)`) hides exactly the name an
assistant is looking for. Checked against the graph itself."""

import re

from typer.testing import CliRunner

from kg.cli import app


def test_skill_md_lists_are_complete_against_the_graph(example_repo, example_load, tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    graph = ["--engine", "embedded", "--graph", str(tmp_path / "graph")]
    runner = CliRunner()
    assert runner.invoke(app, ["load", str(example_repo), *graph], catch_exceptions=False).exit_code == 0
    assert runner.invoke(app, ["export", "--out", str(tmp_path / "out"), *graph], catch_exceptions=False).exit_code == 0
    skill = (tmp_path / "out" / "flux-infra-guide" / "SKILL.md").read_text()
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

    configmaps = json.loads((tmp_path / "out" / "flux-infra-guide" / "data" / "configmaps.json").read_text())
    alloy = configmaps["configMaps"]["alloy-config"]
    assert alloy["namedIn"] == ["grafana-alloy (values.alloy.configMap.name)"]
    assert "Named in the Helm values of grafana-alloy" in alloy["description"]
    assert not [k for k, v in configmaps["configMaps"].items() if v["namedIn"] and k != "alloy-config"]
    # each service names the service account its pods run as (a Vault role names it)
    services = json.loads((tmp_path / "out" / "flux-infra-guide" / "data" / "services.json").read_text())["services"]
    assert services["papi"]["serviceAccount"] == "default"  # the example sets none
