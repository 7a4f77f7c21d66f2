"""Every question of `kg ask` against a real Neo4j: on examples/platform each answer is
checked, on the corpora every question runs for a sample of targets of each kind."""

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.questions import catalogue

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def kg(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def ask(question, *args, code=0):
    result = kg("ask", question, *args, "--format", "json")
    assert result.exit_code == code, result.output
    return json.loads(result.output) if code == 0 else result.output


@pytest.fixture
def platform(cli_env, example_repo, repo_name):
    assert kg("load", example_repo, "--repo-name", repo_name, "--format", "json").exit_code == 0
    return repo_name


def test_where(platform):
    (row,) = ask("where", "papi", "--repo", platform)
    assert (row["namespace"], row["workload"], row["kustomization"], row["path"]) == (
        "backend-services",
        "papi",
        "runwhen-backend-services",
        "./apps/backend-services",
    )


def test_trace_from_the_root(platform):
    rows = ask("trace", "deployment/papi", "--repo", platform)
    assert [(r["depth"], r["kustomization"]) for r in rows] == [
        (0, "flux-system/flux-system"),
        (1, "flux-system/runwhen-backend-services"),
    ]
    assert rows[1]["source"] == "GitRepository/flux-system" and rows[1]["status"] == "ok"
    assert rows[0]["evidence"].endswith("-[MANAGES]-> Deployment/papi")


def test_tree_of_a_kustomization(platform):
    rows = ask("tree", "runwhen-backend-services", "--repo", platform)
    names = {(r["kind"], r["name"].strip()) for r in rows}
    assert {
        ("Deployment", "papi"),
        ("Deployment", "beat"),
        ("SecretProviderClass", "vault-papi"),
        ("HelmRelease", "redis-sentinel"),
    } <= names
    root = ask("tree", "flux-system", "--repo", platform)
    # depth-first: a nested Kustomization is followed by what it applies, indented
    start = next(i for i, r in enumerate(root) if r["kind"] == "Kustomization" and r["name"] == "vault")
    children = []
    for r in root[start + 1 :]:
        if r["depth"] == 1:
            break
        children.append((r["kind"], r["name"]))
    assert sorted(children) == [("HelmRelease", "  vault"), ("Namespace", "  vault")]
    depths = {r["name"].strip(): r["depth"] for r in root if r["kind"] == "Deployment"}
    assert depths["papi"] == 2


def test_depends_on_is_transitive_with_depth(platform):
    rows = ask("depends-on", "runwhen-corestate", "--repo", platform)
    depth = {r["name"]: r["depth"] for r in rows}
    assert depth["runwhen-backend-services"] == 1
    assert depth["vault"] == 2 and depth["infrastructure"] == 3
    assert len(depth) == len(rows)  # each dependency once
    # a workload: the Kustomization that applies it, then its chain
    papi = {r["name"]: (r["depth"], r["via"]) for r in ask("depends-on", "papi", "--repo", platform)}
    assert papi["runwhen-backend-services"] == (0, "applied by")
    assert papi["infrastructure"][0] == 2


def test_blast_radius_of_vault(platform):
    rows = ask("blast-radius", "vault", "--repo", platform)
    found = {(r["impact"], r["name"]): r for r in rows}
    assert ("runtime", "papi") in found and ("runtime", "celery-worker") in found
    assert found[("runtime", "papi")]["reason"].startswith("mounts SecretProviderClass vault-papi")
    corestate = found[("delivery", "runwhen-corestate")]
    assert corestate["kind"] == "Kustomization" and "dependsOn" in corestate["reason"]
    assert ("delivery", "corestate") in found  # what the dependent Kustomizations apply


def test_blast_radius_of_a_log_or_metrics_store_names_what_stops_being_stored(platform, example_load):
    """The example's Alloy file ships logs to loki and metrics to mimir and cortex: when a
    store fails, the collector's signal is no longer stored (a telemetry row per SHIPS_TO)."""
    gd = example_load.graph
    ships = [r for r in gd.rels.values() if r.type == "SHIPS_TO"]
    assert len(ships) == 3
    for rel in ships:
        store, writer = gd.nodes[rel.end].props, gd.nodes[rel.start].props
        rows = [r for r in ask("blast-radius", store["name"], "--repo", platform) if r["impact"] == "telemetry"]
        assert [(r["kind"], r["name"], r["namespace"]) for r in rows] == [
            ("ConfigKey", writer["name"], writer["namespace"])
        ]
        reason = rows[0]["reason"]
        assert reason.startswith(f"{rel.props['signal']} written by {rel.props['component']}"), reason
        assert f"tenant {rel.props['tenant']}" in reason and f"ConfigMap {writer['configmap']}" in reason
    # the summary says it too
    logs = next(gd.nodes[r.end].props["name"] for r in ships if r.props["signal"] == "logs")
    table = kg("ask", "blast-radius", logs, "--repo", platform, "--format", "table").output
    assert "the logs shipped to it are no longer stored" in " ".join(table.split())
    # a store nothing ships to has no telemetry rows
    assert not [r for r in ask("blast-radius", "vault", "--repo", platform) if r["impact"] == "telemetry"]


def test_secrets_of_papi_are_the_four_vault_objects(platform):
    rows = ask("secrets", "papi", "--repo", platform)
    csi = sorted((r["vault_path"], r["key"]) for r in rows if r["via"].startswith("csi volume"))
    assert csi == [
        ("shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_ID"),
        ("shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_SECRET"),
        ("shared/data/litellm-proxy/virtual-keys", "RW_SHARED_LLM"),
        ("shared/data/secrets", "secrets.py"),
    ]
    assert all(
        r["secret"].startswith("SecretProviderClass vault-papi") and r["backend"] == "vault"
        for r in rows
        if r["via"].startswith("csi")
    )
    (env,) = [r for r in rows if r["via"] == "env"]
    assert env["env"] == ["RW_SHARED_LLM"] and "papi-secrets" in env["secret"]


def test_config_of_papi_and_of_a_variable(platform):
    rows = {r["key"]: r for r in ask("config", "papi", "--repo", platform)}
    git = rows["GIT_SERVICE_URL"]
    assert git["raw"] == "https://git.${subdomain}.${domain}"
    assert git["value"] == "https://git.nonprod.runwhen.com"
    assert sorted(git["variables"]) == [
        "domain (ConfigMap flux-system/cluster-vars)",
        "subdomain (ConfigMap flux-system/cluster-vars)",
    ]
    variable = ask("config", "cluster_name", "--repo", platform)
    defined = [r for r in variable if r["relation"].startswith("defined by")]
    assert defined and defined[0]["value"] == "platform-cluster-01"
    used = {(r["configmap"], r["key"]) for r in variable if r["relation"] == "used in key"}
    assert ("papi-env-vars-cm", "DEFAULT_GITLAB_GROUP") in used


def test_problems_on_the_example_are_none_but_charts_not_cached(platform):
    # tests render charts offline from an empty cache (conftest): each release is a row, nothing else is
    rows = ask("problems", "--repo", platform)
    assert {(r["problem"], r["kind"]) for r in rows} == {("chart not rendered", "HelmRelease")}
    assert all("not in the chart cache" in r["detail"] or "offline" in r["detail"] for r in rows), rows


def test_problems_finds_real_problems(cli_env, repo_name, tmp_path, example_repo):
    import shutil

    import yaml

    repo = tmp_path / "repo"
    shutil.copytree(example_repo, repo)
    apps = repo / "clusters/platform-cluster/apps.yaml"
    docs = list(yaml.safe_load_all(apps.read_text()))
    for doc in docs:
        if doc and doc["metadata"]["name"] == "runwhen-gitservice":
            doc["spec"]["dependsOn"].append({"name": "does-not-exist"})
    apps.write_text(yaml.safe_dump_all(docs))
    (repo / "apps/backend-services/papi-deployment.yaml").write_text(
        (repo / "apps/backend-services/papi-deployment.yaml")
        .read_text()
        .replace("secretProviderClass: vault-papi", "secretProviderClass: vault-papy")
    )
    assert kg("load", repo, "--repo-name", repo_name, "--format", "json").exit_code == 0
    rows = ask("problems", "--repo", repo_name)
    problems = {(r["problem"], r["name"]) for r in rows}
    assert ("dangling dependsOn", "runwhen-gitservice") in problems
    assert ("dangling secretProviderClass", "papi") in problems
    assert ("SecretProviderClass nothing mounts", "vault-papi") not in problems  # others still mount it
    assert all(r["severity"] in ("error", "warning", "info") for r in rows)


def test_debug_papi(platform):
    rows = ask("debug", "papi", "--repo", platform)
    commands = [r["command"] for r in rows]
    steps = [r["step"] for r in rows]
    assert steps == sorted(steps)
    assert "flux get kustomization runwhen-backend-services -n flux-system" in commands
    assert "kubectl get pods -n backend-services -l app=papi -o wide" in commands
    assert '{namespace="backend-services", app="papi"} |= "ERROR"' in commands
    assert any("vault kv get" in c and "shared/secrets" in c for c in commands)
    assert commands.index("flux get sources git flux-system -n flux-system") < commands.index(
        "kubectl get pods -n backend-services -l app=papi -o wide"
    )


def test_list_and_help(cli_env):
    listed = kg("ask", "--list")
    assert listed.exit_code == 0
    for name in ("where", "trace", "tree", "depends-on", "blast-radius", "secrets", "config", "problems", "debug"):
        assert name in listed.output
    help_text = kg("ask", "secrets", "--help")
    assert help_text.exit_code == 0 and "vault_path" in help_text.output


def test_zero_rows_is_an_answer(platform):
    result = kg("ask", "secrets", "runner", "--repo", platform, "--format", "table")
    assert result.exit_code == 0
    assert "no rows" in result.output


def test_unknown_and_wrong_kind(platform):
    assert "did you mean: papi" in ask("where", "papy", "--repo", platform, code=1)
    assert "takes a Kustomization, HelmRelease" in ask("tree", "papi-env-vars-cm", "--repo", platform, code=1)


def test_ambiguous_across_clusters_lists_candidates(cli_env, corpora, repo_name):
    assert (
        kg(
            "load", corpora / "fluxcd__flux2-kustomize-helm-example", "--repo-name", repo_name, "--format", "json"
        ).exit_code
        == 0
    )
    output = ask("debug", "podinfo", "--repo", repo_name, code=1)
    assert "ambiguous" in output and "production" in output and "staging" in output
    rows = ask("debug", "podinfo", "--repo", repo_name, "--cluster", "staging")
    assert any(r["command"] == "flux get helmrelease podinfo -n podinfo" for r in rows)
    # listing questions answer for every cluster
    assert {r["cluster"] for r in ask("where", "podinfo", "--repo", repo_name)} == {"production", "staging"}


@pytest.mark.parametrize(
    "corpus", ["fluxcd__flux2-kustomize-helm-example", "toboshii__home-ops", "xUnholy__k8s-gitops", "eso-vault"]
)
def test_every_question_runs_on_samples_of_each_kind(corpus, cli_env, store, corpora, repo_name):
    path = FIXTURES / corpus if corpus == "eso-vault" else corpora / corpus
    assert kg("load", path, "--repo-name", repo_name, "--format", "json").exit_code == 0
    rng = random.Random(7)
    for name, question in catalogue().items():
        if not question.takes_target:
            ask(name, "--repo", repo_name)
            continue
        for label in question.targets:
            rows = store.query(
                f"MATCH (n:{label}) WHERE n.repo = $repo RETURN n.kind AS kind, n.namespace AS ns, n.name AS name, n.cluster AS cluster ORDER BY n.id",
                {"repo": repo_name},
            )
            for row in rng.sample(rows, min(2, len(rows))):
                target = (
                    f"{row['kind']}/{row['ns']}/{row['name']}"
                    if row["ns"] and label != "VaultPath"
                    else f"{label}/{row['name']}"
                )
                result = kg("ask", name, target, "--repo", repo_name, "--cluster", row["cluster"], "--format", "json")
                # answered (maybe zero rows) or, for single-target questions, a clear ambiguity
                assert result.exit_code in (0, 1), (name, target, result.output)
                if result.exit_code == 1:
                    assert "ambiguous" in result.output, (name, target, result.output)
                else:
                    json.loads(result.output)


def _operators(plan: dict):
    """The operator names of an EXPLAIN plan (the driver gives it as nested dicts)."""
    yield plan["operatorType"]
    for child in plan.get("children", []):
        yield from _operators(child)


def test_a_target_of_one_label_is_sought_in_its_index_not_scanned(neo4j_settings):
    """The questions find their target with a portable `MATCH (t/*:{target}*/) WHERE t.id IN $ids`;
    kg names the label when the target has one, so Neo4j seeks the id index instead of
    scanning every node of every loaded repository (EXPLAIN, no data needed)."""
    import neo4j

    from kg.cypher_files import union_parts
    from kg.questions import TARGET_MATCH, bind_target_label

    checked = 0
    with neo4j.GraphDatabase.driver(neo4j_settings.uri, auth=(neo4j_settings.user, neo4j_settings.password)) as driver:
        with driver.session(database=neo4j_settings.database) as session:
            for question in catalogue().values():
                for label in question.targets[:2]:  # the plans differ by label only in the seek
                    for part in union_parts(bind_target_label(question.file, {label}))[0]:
                        if f"MATCH (t:{label})\nWHERE t.id IN $ids" not in part:
                            continue
                        plan = (
                            session.run("EXPLAIN " + part, {"ids": ["x"], "cluster": None, "repo": None}).consume().plan
                        )
                        operators = list(_operators(plan))
                        assert not any(o.startswith("AllNodesScan") for o in operators), (
                            question.name,
                            label,
                            part[:200],
                            operators,
                        )
                        checked += 1
    assert checked >= 30  # blast-radius, debug, depends-on and trace find their target this way
    assert TARGET_MATCH in catalogue()["debug"].text


def test_blast_radius_of_a_datastore_reaches_the_services_that_call_it(platform):
    # NEO4J_URI: bolt://neo4j.backend-services.svc.cluster.local:7687, the Service made by the
    # neo4j chart (not rendered offline: the call goes to the release, marked inferred)
    rows = ask("blast-radius", "neo4j", "--repo", platform)
    callers = {r["name"]: r["reason"] for r in rows}
    assert {"papi", "modelsync", "usearch-indexer", "usearch-query"} <= set(callers)
    assert callers["papi"] == "calls HelmRelease neo4j (NEO4J_URI), whose chart makes Service neo4j.backend-services"
    # REDIS_SENTINEL_HOST: redis-sentinel.backend-services.svc.cluster.local (a bare host name)
    rows = ask("blast-radius", "redis-sentinel", "--repo", platform)
    assert {"beat", "celery-worker", "flower"} <= {r["name"] for r in rows}
    assert all("(REDIS_SENTINEL_HOST)" in r["reason"] for r in rows if r["kind"] == "Deployment")
