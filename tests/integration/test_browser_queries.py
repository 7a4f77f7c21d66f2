"""The guided-start queries of `kg browser` (cypher/browser/explore.cypher) on a real Neo4j
with examples/platform and a recorded incident (tests/fixtures/status) loaded: each returns
rows, with and without the repo filter."""

from pathlib import Path

import neo4j
import pytest
from typer.testing import CliRunner

from kg import browser
from kg.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture
def loaded(cli_env, example_repo, repo_name):
    result = CliRunner().invoke(app, ["load", str(example_repo), "--repo-name", repo_name], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    snapshot = Path(__file__).resolve().parents[1] / "fixtures" / "status" / "platform-helm-upgrade-failed.json"
    result = CliRunner().invoke(
        app, ["status", "load", str(snapshot), "--cluster", "platform-cluster", "--repo", repo_name]
    )
    assert result.exit_code == 0, result.output
    return repo_name


def _run(store, text, params):
    """As Neo4j Browser runs it: the driver's own values (kg's store turns paths into
    evidence tokens, the Browser draws whole nodes)."""
    with store.driver.session(database=store.settings.database) as session:
        return [dict(record) for record in session.run(text, params)]


def _nodes(rows):
    """Every node of every path in the rows."""
    for row in rows:
        for value in row.values():
            if isinstance(value, neo4j.graph.Path):
                yield from value.nodes


@pytest.mark.parametrize("query", browser.explorations(), ids=lambda q: q.id)
def test_exploration_returns_rows_with_and_without_repo_filter(store, loaded, query):
    filtered = _run(store, query.text, query.values({"repo": loaded}))
    assert filtered, f"{query.id}: no rows for repo {loaded}"
    if "repo" in query.params:
        # a live status node belongs to the repository it is the status of (`status_repo`)
        repos = {node.get("repo") or node.get("status_repo") for node in _nodes(filtered)}
        assert repos == {loaded}, f"{query.id}: nodes of other repositories: {repos - {loaded}}"
    unfiltered = _run(store, query.text, query.values())
    assert len(unfiltered) >= len(filtered)


def test_service_neighbourhood_of_papi(store, loaded):
    query = next(q for q in browser.explorations() if q.id == "service")
    rows = _run(store, query.text, query.values({"repo": loaded, "name": "papi"}))
    names = {(node.get("kind"), node.get("name")) for node in _nodes(rows)}
    for expected in [
        ("Deployment", "papi"),
        ("Service", "papi"),
        ("Kustomization", "runwhen-backend-services"),
        ("SecretProviderClass", "vault-papi"),
        ("SecretBackend", "vault"),
        ("ConfigMap", "papi-env-vars-cm"),
    ]:
        assert expected in names, f"{expected} missing from the neighbourhood of papi: {sorted(names)}"


def test_vault_to_workload_reaches_the_kustomization_deploying_vault(store, loaded):
    query = next(q for q in browser.explorations() if q.id == "vault")
    rows = _run(store, query.text, query.values({"repo": loaded, "name": "papi"}))
    names = {(node.get("kind"), node.get("name")) for node in _nodes(rows)}
    assert {
        ("SecretProviderClass", "vault-papi"),
        ("SecretBackend", "vault"),
        ("HelmRelease", "vault"),
        ("Kustomization", "vault"),
    } <= names


def test_depends_on_chain_of_papi(store, loaded):
    query = next(q for q in browser.explorations() if q.id == "depends-on")
    rows = _run(store, query.text, query.values({"repo": loaded, "name": "papi"}))
    names = {node.get("name") for node in _nodes(rows)}
    # papi is applied by runwhen-backend-services, which waits for vault, linkerd and cortex
    # (which wait for infrastructure); runwhen-corestate waits for it
    assert {"runwhen-backend-services", "vault", "linkerd", "cortex", "infrastructure", "runwhen-corestate"} <= names


def test_failing_draws_each_symptom_with_the_chain_to_its_root_cause(store, loaded):
    query = next(q for q in browser.explorations() if q.id == "failing")
    rows = _run(store, query.text, query.values({"repo": loaded}))
    failing = {(n.get("status_kind"), n.get("name")) for n in _nodes(rows) if "Failing" in n.labels}
    assert ("HelmRelease", "vault") in failing and ("Kustomization", "runwhen-corestate") in failing, failing
    chains = [row["q"] for row in rows if row["q"] is not None]
    ends = {(path.end_node.get("status_kind"), path.end_node.get("name")) for path in chains}
    assert ends == {("HelmRelease", "vault")}, ends
    starts = {path.start_node.get("name") for path in chains}
    assert "runwhen-corestate" in starts, starts
