"""The main job against a real Neo4j: load examples/platform, ask, export."""

import json
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from kg.cli import app
from kg.config import Neo4jSettings
from kg.errors import DatabaseAuthError, DatabaseNotFound
from kg.store import Neo4jStore

pytestmark = pytest.mark.integration

SEED_SERVICES = {
    "papi",
    "activities",
    "alerts",
    "modelsync",
    "agentfarm",
    "celery-worker",
    "celery-beat",
    "flower",
    "embedder",
    "slackbot",
    "sobow-index",
    "sobow-search",
    "usearch-indexer",
    "usearch-query",
    "usearch-worker",
    "usearch-beat",
    "sobrain",
    "webhooks",
    "corestate",
    "gitservice",
    "litellm-proxy",
}


def kg(*args):
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result


def load(repo_path, repo_name):
    result = kg("load", repo_path, "--repo-name", repo_name, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def graph_snapshot(store, repo_name):
    nodes = store.query(
        "MATCH (n) WHERE n.repo = $repo RETURN n.id AS id, properties(n) AS props ORDER BY id", {"repo": repo_name}
    )
    rels = store.query(
        "MATCH (a)-[r]->(b) WHERE a.repo = $repo RETURN a.id AS a, type(r) AS t, r.rel_key AS k, b.id AS b, properties(r) AS props ORDER BY a, t, k, b",
        {"repo": repo_name},
    )
    strip = lambda p: {k: v for k, v in p.items() if k not in ("load_tag", "loaded_at")}  # noqa: E731
    return [(n["id"], strip(n["props"])) for n in nodes], [
        (r["a"], r["t"], r["k"], r["b"], strip(r["props"])) for r in rels
    ]


def ask(question, name, repo_name):
    result = kg("ask", question, name, "--repo", repo_name, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_load_twice_changes_nothing_but_the_load_tag(cli_env, store, example_repo, repo_name):
    first = load(example_repo, repo_name)
    assert first["clusters"][0]["name"] == "platform-cluster"
    # charts render offline from an empty cache in tests (conftest): one warning per chart source
    assert all("chart not rendered (fetch" in w["reason"] for w in first["warnings"]), first["warnings"]
    before = graph_snapshot(store, repo_name)
    second = load(example_repo, repo_name)
    after = graph_snapshot(store, repo_name)
    assert second["load_tag"] != first["load_tag"]
    assert len(before[0]) == first["nodes"] and len(before[1]) == first["relationships"]
    assert before == after


def test_where_papi(cli_env, store, example_repo, repo_name):
    load(example_repo, repo_name)
    (row,) = ask("where", "papi", repo_name)
    assert row["namespace"] == "backend-services"
    assert row["kind"] == "Deployment" and row["workload"] == "papi"
    assert row["kustomization"] == "runwhen-backend-services"
    assert row["path"] == "./apps/backend-services"
    assert row["source_file"] == "apps/backend-services/papi-deployment.yaml"
    assert row["evidence"].startswith("Cluster/platform-cluster -[ROOT]-> Kustomization/flux-system")
    # the seed's celery-beat is found by its service name, with its real deployment name
    (beat,) = ask("where", "celery-beat", repo_name)
    assert beat["workload"] == "beat"


def test_blast_radius_vault(cli_env, store, example_repo, repo_name):
    load(example_repo, repo_name)
    rows = ask("blast-radius", "vault", repo_name)
    by_key = {(r["impact"], r["kind"], r["name"]): r for r in rows}
    # every workload that mounts a Vault SecretProviderClass, with the reason
    mounting = store.query(
        "MATCH (w:Workload)-[:MOUNTS]->(s:SecretProviderClass {provider: 'vault'}) WHERE w.repo = $repo RETURN DISTINCT w.name AS name",
        {"repo": repo_name},
    )
    assert len(mounting) == 10
    for w in mounting:
        row = by_key[("runtime", "Deployment", w["name"])]
        assert row["reason"].startswith("mounts SecretProviderClass vault-")
        assert "-[MOUNTS]-> SecretProviderClass/vault-" in row["evidence"]
    # every Kustomization that depends on vault, directly or transitively
    dependents = {
        "runwhen-backend-services",
        "runwhen-llm-gateway",
        "runwhen-corestate",
        "runwhen-gitservice",
        "runwhen-runner-system",
    }
    delivery_ks = {name for (impact, kind, name) in by_key if impact == "delivery" and kind == "Kustomization"}
    assert delivery_ks == dependents
    corestate = by_key[("delivery", "Kustomization", "runwhen-corestate")]
    assert corestate["evidence"] == (
        "Kustomization/runwhen-corestate -[DEPENDS_ON]-> Kustomization/runwhen-backend-services -[DEPENDS_ON]-> Kustomization/vault"
    )
    # infrastructure does not depend on vault: not impacted
    assert not any(name == "infrastructure" for (_, _, name) in by_key)
    # rows are unique per (impact, object)
    assert len(by_key) == len(rows)


def test_unknown_name_suggests_close_names(cli_env, example_repo, repo_name):
    load(example_repo, repo_name)
    result = kg("ask", "where", "papy", "--repo", repo_name, "--format", "json")
    assert result.exit_code == 1
    assert "did you mean: papi" in result.output


def test_hostile_name_is_a_plain_parameter(cli_env, store, example_repo, repo_name):
    load(example_repo, repo_name)
    before = graph_snapshot(store, repo_name)
    result = kg("ask", "blast-radius", "x'}) DETACH DELETE n //", "--repo", repo_name, "--format", "json")
    assert result.exit_code == 1
    assert graph_snapshot(store, repo_name) == before


def test_export_services_json_has_every_seed_service(cli_env, example_repo, repo_name, tmp_path):
    load(example_repo, repo_name)
    result = kg("export", "--out", tmp_path, "--repo", repo_name, "--timestamp", "2026-02-02T10:00:00Z")
    assert result.exit_code == 0, result.output
    path = tmp_path / "flux-infra-guide" / "data" / "services.json"
    document = json.loads(path.read_text())
    services = document["services"]
    assert SEED_SERVICES <= set(services)
    for name in SEED_SERVICES:
        entry = services[name]
        assert {"namespace", "deployment", "fluxPath", "kustomization", "description"} <= set(entry)
        assert all(entry[f] for f in ("namespace", "deployment", "fluxPath", "kustomization", "description"))
    assert services["papi"] == {
        **services["papi"],
        "namespace": "backend-services",
        "deployment": "papi",
        "fluxPath": "apps/backend-services/",
        "kustomization": "runwhen-backend-services",
        "description": "Platform API - core backend service",
    }
    assert services["celery-beat"]["deployment"] == "beat"
    assert services["litellm-proxy"]["namespace"] == "llm-gateway"
    assert services["litellm-proxy"]["kustomization"] == "runwhen-llm-gateway"
    assert document["metadata"]["generatedFrom"] == repo_name
    assert document["metadata"]["generatedAt"] == "2026-02-02T10:00:00Z"
    assert document["metadata"]["clusters"] == ["platform-cluster"]
    # deterministic: a second export is byte-identical
    first = path.read_bytes()
    assert kg("export", "--out", tmp_path, "--repo", repo_name, "--timestamp", "2026-02-02T10:00:00Z").exit_code == 0
    assert path.read_bytes() == first


def test_reload_sweeps_what_disappeared_and_keeps_other_repos(cli_env, store, example_repo, repo_name, tmp_path):
    other = repo_name + "-other"
    try:
        load(example_repo, other)
        copy = tmp_path / "repo"
        shutil.copytree(example_repo, copy)
        (copy / "apps/backend-services/webhooks-deployment.yaml").unlink()
        kfile = copy / "apps/backend-services/kustomization.yaml"
        k = yaml.safe_load(kfile.read_text())
        k["resources"].remove("webhooks-deployment.yaml")
        kfile.write_text(yaml.safe_dump(k))
        load(example_repo, repo_name)
        assert store.query(
            "MATCH (w:Workload {name: 'webhooks'}) WHERE w.repo = $r RETURN w.id AS id", {"r": repo_name}
        )
        load(copy, repo_name)
        assert not store.query(
            "MATCH (w:Workload {name: 'webhooks'}) WHERE w.repo = $r RETURN w.id AS id", {"r": repo_name}
        )
        assert not store.query(
            "MATCH (s:Service {name: 'webhooks'}) WHERE s.repo = $r RETURN s.id AS id", {"r": repo_name}
        )
        # the other repository in the same database is untouched
        assert store.query("MATCH (w:Workload {name: 'webhooks'}) WHERE w.repo = $r RETURN w.id AS id", {"r": other})
    finally:
        store.delete_repo(other)


def test_db_status_counts(cli_env, example_repo, repo_name):
    load(example_repo, repo_name)
    result = kg("db", "status", "--format", "json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["server"]["version"].startswith("5.")
    assert status["nodes"]["Workload"] >= 22
    assert status["relationships"]["DEPENDS_ON"] >= 14
    assert repo_name in {r["repo"] for r in status["repos"]}


def test_wrong_password_and_unknown_database_are_readable(neo4j_settings):
    wrong = Neo4jSettings(neo4j_settings.uri, neo4j_settings.user, "not-the-password", None)
    with pytest.raises(DatabaseAuthError, match="refused the credentials"):
        with Neo4jStore(wrong) as store:
            store.verify()
    missing = Neo4jSettings(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password, "no-such-db")
    with pytest.raises(DatabaseNotFound, match="no-such-db"):
        with Neo4jStore(missing) as store:
            store.verify()
