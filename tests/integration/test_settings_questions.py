"""`kg ask config` on settings (issue 17): tests/fixtures/settings on a real Neo4j (the
differential test runs the same questions on the embedded engine), and two corpora on the
embedded engine: toboshii (a cluster-settings value substituted into a HelmRelease value)
and joryirving (the cluster-info variable CLUSTER in three clusters)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "settings"


def kg(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def ask(*args):
    result = kg("ask", "config", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def fixture_repo(cli_env, repo_name):
    assert kg("load", FIXTURE, "--repo-name", repo_name, "--format", "json").exit_code == 0
    return repo_name


def test_a_workloads_settings_per_cluster(fixture_repo):
    rows = ask("deployment/api", "--repo", fixture_repo)
    by = {(r["cluster"], r["key"]): r for r in rows}
    env = "spec.template.spec.containers[api].env."
    db = by[("production", env + "DB_HOST")]
    assert (db["raw"], db["value"], db["relation"]) == (
        "db.${environment}.example.internal",
        "db.production.example.internal",
        "setting (env)",
    )
    assert db["variables"] == ["environment (ConfigMap flux-system/cluster-vars)"]
    assert db["evidence"] == "Deployment/api -[HAS_SETTING]-> Setting/DB_HOST"
    assert by[("staging", env + "DB_HOST")]["value"] == "db.staging.example.internal"
    assert by[("staging", env + "LOG_LEVEL")]["value"] == "info"
    # the SecretProviderClass it mounts: its vaultAddress from a variable, per cluster
    vault = by[("staging", "spec.parameters.vaultAddress")]
    assert vault["object"] == "SecretProviderClass/shop/vault-api" and vault["relation"] == "mounts (parameter)"
    assert vault["value"] == "https://vault.stg.example.internal:8200"
    assert vault["evidence"].startswith("Deployment/api -[MOUNTS]-> SecretProviderClass/vault-api -[HAS_SETTING]->")
    # a Secret-sourced variable is never resolved
    assert by[("production", env + "API_TOKEN")]["value"] == "${api_token:-none}"
    schedule = {r["cluster"]: r["value"] for r in ask("cronjob/backup", "--repo", fixture_repo, "--key", "schedule")}
    assert schedule == {"staging": "0 3 * * *", "production": "30 1 * * *"}


def test_a_helm_releases_values_narrowed_by_key(fixture_repo):
    rows = ask("web", "--repo", fixture_repo, "--key", "*replicacount")
    assert {(r["cluster"], r["key"], r["value"]) for r in rows} == {
        ("staging", "values.replicaCount", "1"),
        ("production", "values.replicaCount", "3"),
    }
    production = next(r for r in rows if r["cluster"] == "production")
    assert production["origin"] == "a patch from overlay apps/overlays/production (base value 1)"
    everything = ask("web", "--repo", fixture_repo)
    assert len(everything) > len(rows)
    assert any(r["relation"] == "values from" for r in everything)  # the VALUES_FROM rows remain


def test_a_variable_lists_every_setting_in_every_cluster(fixture_repo):
    rows = ask("environment", "--repo", fixture_repo)
    used = {
        (r["object"], r["key"], r["cluster"]): r["value"] for r in rows if r["relation"].startswith("used in setting")
    }
    assert used[("Deployment/shop/api", "spec.template.spec.containers[api].env.DB_HOST", "staging")] == (
        "db.staging.example.internal"
    )
    assert used[("HelmRelease/shop/web", "values.ui.message", "production")] == "Hello from production"
    assert used[("CronJob/shop/backup", "spec.jobTemplate.spec.template.spec.containers[backup].env.TARGET", "staging")]
    # side by side: the rows of one setting in both clusters are neighbours
    keys = [(r["object"], r["key"]) for r in rows if r["relation"].startswith("used in setting")]
    assert keys[0] == keys[1]


def test_key_is_refused_by_a_question_without_it(fixture_repo):
    result = kg("ask", "where", "api", "--repo", fixture_repo, "--key", "x")
    assert result.exit_code == 2 and "--key" in result.output


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("KG_ENGINE", "embedded")
    monkeypatch.setenv("KG_GRAPH", str(tmp_path / "graph"))


def test_toboshii_cluster_settings_value_in_a_helm_release(embedded, corpora):
    assert kg("load", corpora / "toboshii__home-ops", "--format", "json").exit_code == 0
    rows = ask("SVC_NGINX_ADDR")
    used = [r for r in rows if r["relation"] == "used in setting (values)"]
    assert [(r["object"], r["raw"], r["value"]) for r in used] == [
        ("HelmRelease/networking/ingress-nginx", "${SVC_NGINX_ADDR}", "10.5.0.1")
    ]
    assert used[0]["variables"] == ["ConfigMap flux-system/cluster-settings"]


def test_joryirving_cluster_variable_per_cluster(embedded, corpora):
    assert kg("load", corpora / "joryirving__home-ops", "--format", "json").exit_code == 0
    rows = [r for r in ask("CLUSTER") if r["relation"].startswith("used in setting")]
    clusters = {r["cluster"] for r in rows}
    assert clusters == {"main", "test", "utility"}
    # one setting (an object and path) in several clusters, resolved differently in each
    by_setting: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        by_setting.setdefault((r["object"], r["key"]), {})[r["cluster"]] = r["value"]
    shared = {k: v for k, v in by_setting.items() if len(v) > 1}
    assert shared and all(len(set(v.values())) == len(v) for v in shared.values())
    for cluster in clusters:
        assert any(cluster in r["value"] for r in rows if r["cluster"] == cluster)


HOSTILE_KEY = "a b&~#-()[]{}|\\^$.+' OR 1=1 //"


def test_a_hostile_key_is_a_pattern_not_query_text(fixture_repo):
    assert ask("api", "--repo", fixture_repo, "--key", HOSTILE_KEY) == []
    assert ask("api", "--repo", fixture_repo, "--key", "*(*") == []


def test_key_on_the_embedded_engine(embedded):
    assert kg("load", FIXTURE, "--format", "json").exit_code == 0
    assert ask("api", "--key", HOSTILE_KEY) == []
    rows = ask("web", "--key", "VALUES.REPLICACOUNT")  # case-insensitive, the whole dotted path
    assert {(r["cluster"], r["value"]) for r in rows} == {("staging", "1"), ("production", "3")}
