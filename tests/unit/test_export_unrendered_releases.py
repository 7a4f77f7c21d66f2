"""A HelmRelease whose chart kg cannot render (offline with an empty chart cache here)
makes nothing kg can see: no Deployment, no Service. The exported skill must still say
where such an app runs and who depends on it, and say plainly that what its chart makes
is missing (joryirving's 203 app-template releases left the Service Index empty)."""

import json
import re

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.skill.documents import without_credentials


@pytest.fixture(scope="module")
def exported(example_repo, tmp_path_factory):
    """The example loaded offline with an empty chart cache, and exported: (folder, graph file)."""
    tmp_path = tmp_path_factory.mktemp("unrendered")
    graph = ["--engine", "embedded", "--graph", str(tmp_path / "graph")]
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NEO4J_URI", raising=False)
        mp.setenv("KG_CHART_CACHE", str(tmp_path / "empty-chart-cache"))
        load = runner.invoke(app, ["load", str(example_repo), "--offline", *graph], catch_exceptions=False)
        assert load.exit_code == 0, load.output
        export = runner.invoke(app, ["export", "--out", str(tmp_path / "out"), *graph], catch_exceptions=False)
        assert export.exit_code == 0, export.output
    return tmp_path / "out" / "flux-infra-guide"


def _index(skill: str) -> dict[str, list[str]]:
    """Service Index rows by their first cell: the cells after it."""
    rows = {}
    for line in skill.split("### Service Index", 1)[1].split("###", 1)[0].splitlines():
        m = re.match(r"^\| \*\*([\w./-]+)\*\* \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split(" | ")]
    return rows


def _callers_of_release(graph, release_name: str) -> set[str]:
    """Service names of the workloads whose CALLS end at the HelmRelease (a Service its chart makes)."""
    (release,) = [n for n in graph.by_label("HelmRelease") if n.props["name"] == release_name]
    return {
        graph.nodes[r.start].props.get("service") or graph.nodes[r.start].props["name"]
        for r in graph.rels.values()
        if r.type == "CALLS" and r.end == release.id and graph.nodes[r.start].label == "Workload"
    }


def test_every_unrendered_release_says_why_in_flux_resources(exported, example_load):
    releases = json.loads((exported / "data" / "flux-resources.json").read_text())["helmReleases"]
    in_graph = {n.props["name"] for n in example_load.graph.by_label("HelmRelease")}
    assert set(releases) == in_graph and len(in_graph) == 9
    for name, release in releases.items():
        assert "not in the chart cache" in release["renderError"], (name, release)


def test_the_index_has_a_row_for_each_release_others_call_and_the_note_says_what_is_missing(exported, example_load):
    skill = (exported / "SKILL.md").read_text()
    index = _index(skill)
    services = json.loads((exported / "data" / "services.json").read_text())["services"]

    callers = _callers_of_release(example_load.graph, "neo4j")
    assert len(callers) >= 3
    neo4j = index["neo4j"]
    assert neo4j[0] == "backend-services" and neo4j[1] == "HelmRelease (chart not rendered)"
    assert neo4j[2] == "runwhen-backend-services"
    assert neo4j[6].split(", ") == sorted(callers)
    # its callers name it in their own rows too, through the release
    for caller in callers:
        assert "neo4j (HelmRelease neo4j)" in index[caller][5], index[caller]
    # the values of redis-sentinel's release come from a ConfigMap: its row names it
    assert "redis-sentinel-values" in index["redis-sentinel"][4].split(", ")
    # a release nobody calls and that calls nothing has no row (the namespace table lists it)
    assert "cortex" not in index and "cortex" not in services
    assert re.search(r"^\| `cortex` \| HelmRelease cortex", skill, re.M)

    note = re.search(r"^\*\*9 HelmReleases not rendered\*\* \((.*?)\)\.", skill, re.M)
    assert note and note.group(1) == "offline, and the chart is not in the chart cache: 9"
    assert "kg charts pull REPO" in skill
    assert len(skill.splitlines()) <= 500


def test_a_fetch_error_loses_the_credentials_of_its_url():
    message = "chart x: GET https://bob:s3cret@charts.example.com/index.yaml: 401; pull oci://u:tok@ghcr.io/a/b:1"
    cleaned = without_credentials(message)
    assert "s3cret" not in cleaned and "tok" not in cleaned
    assert "https://charts.example.com/index.yaml" in cleaned and "oci://ghcr.io/a/b:1" in cleaned
