"""`kg export` against a real Neo4j: the skill's four data files and two SKILL.md files
on examples/platform (the Done-when facts, checked against the repository's own YAML),
on the eso-vault fixture and on the three corpora (schemas, byte-identical twice,
`--check`), and an export that fails validation writes nothing."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from kg.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skill_spec import skill_md_problems  # noqa: E402

pytestmark = pytest.mark.integration

SKILL = "flux-infra-guide"
STEMS = ("services", "flux-resources", "secrets-map", "configmaps")
SCHEMAS = Path(__file__).resolve().parents[2] / "kg" / "skill" / "schemas"
SEED_SERVICES = {
    "papi", "activities", "alerts", "modelsync", "agentfarm", "celery-worker", "celery-beat", "flower", "embedder",
    "slackbot", "sobow-index", "sobow-search", "usearch-indexer", "usearch-query", "usearch-worker", "usearch-beat",
    "sobrain", "webhooks", "corestate", "gitservice", "litellm-proxy",
}  # fmt: skip
SEED_KUSTOMIZATIONS = {
    "infrastructure", "runwhen-backend-services", "runwhen-corestate", "runwhen-gitservice", "runwhen-llm-gateway",
    "runwhen-runner-system", "loki", "mimir", "cortex", "vault", "linkerd", "grafana-alloy",
}  # fmt: skip
STAMP = "2026-02-02T10:00:00Z"


def kg(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def load(path, name):
    result = kg("load", path, "--repo-name", name, "--format", "json")
    assert result.exit_code == 0, result.output


def export(out, name, *extra):
    result = kg("export", "--out", out, "--repo", name, *extra)
    assert result.exit_code == 0, result.output
    return {stem: json.loads((out / SKILL / "data" / f"{stem}.json").read_text()) for stem in STEMS}


def assert_valid_skill(out):
    """What a consumer checks: jq-style parsing, the shipped schemas, the SKILL.md spec."""
    for stem in STEMS:
        path = out / SKILL / "data" / f"{stem}.json"
        subprocess.run([sys.executable, "-m", "json.tool", str(path)], check=True, capture_output=True)  # `jq .`
        schema = json.loads((SCHEMAS / f"{stem}.schema.json").read_text())
        Draft202012Validator.check_schema(schema)
        errors = list(Draft202012Validator(schema).iter_errors(json.loads(path.read_text())))
        assert not errors, (stem, errors[0].message)
    for folder in (SKILL, f"{SKILL}-regenerate"):
        assert skill_md_problems((out / folder / "SKILL.md").read_text(), folder) == []


def yaml_docs(*paths):
    for path in paths:
        yield from (d for d in yaml.safe_load_all(path.read_text()) if d)


def test_example_platform_skill_holds_the_seed_facts(cli_env, example_repo, repo_name, tmp_path):
    load(example_repo, repo_name)
    out = tmp_path / "skills"
    docs = export(out, repo_name, "--timestamp", STAMP)
    assert_valid_skill(out)
    for document in docs.values():
        assert document["metadata"] == {
            **document["metadata"], "generatedFrom": repo_name, "generatedAt": STAMP, "clusters": ["platform-cluster"],
            "fluxRepoPath": "examples/platform",  # within its checkout: never this machine's path
        }  # fmt: skip
        assert str(example_repo.parent) not in json.dumps(document)
        assert len(document["metadata"]["gitRevision"]) == 40

    # services.json: the seed's 21 services, every seed field filled
    services = docs["services"]["services"]
    assert SEED_SERVICES <= set(services)
    for name in SEED_SERVICES:
        assert all(
            services[name][f] for f in ("namespace", "deployment", "fluxPath", "kustomization", "description")
        ), name
    assert services["celery-beat"]["deployment"] == "beat"
    assert services["sobrain"]["calls"] == [
        "backend-services/sobow-search",
        "backend-services/usearch-query",
        "llm-gateway/litellm-proxy",
    ]

    # flux-resources.json: the 12 Kustomizations with the dependsOn written in the repository
    kustomizations = docs["flux-resources"]["kustomizations"]
    assert set(kustomizations) == SEED_KUSTOMIZATIONS | {"flux-system"}
    written = {
        d["metadata"]["name"]: [dep["name"] for dep in d["spec"].get("dependsOn", [])]
        for d in yaml_docs(*(example_repo / "clusters/platform-cluster").glob("*.yaml"))
        if d.get("kind") == "Kustomization"
    }
    assert set(written) == SEED_KUSTOMIZATIONS
    for name, deps in written.items():
        assert kustomizations[name]["dependsOn"] == deps, name
        assert kustomizations[name]["path"].startswith("./") and kustomizations[name]["sourceRef"] == "flux-system"
    assert kustomizations["runwhen-backend-services"]["dependsOn"] == ["vault", "linkerd", "cortex"]
    # manages: what each Kustomization applies
    assert SEED_SERVICES - {"corestate", "gitservice", "litellm-proxy"} | {"neo4j", "qdrant", "redis-sentinel"} == set(
        kustomizations["runwhen-backend-services"]["manages"]
    )
    assert kustomizations["runwhen-llm-gateway"]["manages"] == ["litellm-proxy"]
    assert kustomizations["vault"]["manages"] == ["vault"]
    assert set(kustomizations["flux-system"]["manages"]) == SEED_KUSTOMIZATIONS
    assert kustomizations["runwhen-corestate"]["substituteFrom"] == ["cluster-vars"]
    assert kustomizations["infrastructure"]["substituteFrom"] == []
    # HelmReleases: chart and the real chart source, as written
    helm = docs["flux-resources"]["helmReleases"]
    releases = [d for d in yaml_docs(*example_repo.rglob("*.yaml")) if d.get("kind") == "HelmRelease"]
    assert len(releases) == len(helm) == 9
    for release in releases:
        spec = release["spec"]["chart"]["spec"]
        entry = helm[release["metadata"]["name"]]
        assert (entry["chart"], entry["chartSource"]) == (spec["chart"], spec["sourceRef"]["name"])
    assert helm["loki"]["chartSourceUrl"] == "https://grafana.github.io/helm-charts"

    # secrets-map.json: vault-papi with the four Vault objects and its users
    papi = docs["secrets-map"]["secretProviderClasses"]["vault-papi"]
    assert (papi["namespace"], papi["provider"], papi["vaultRole"], papi["vaultMountPath"]) == (
        "backend-services", "vault", "shared_secrets", "kubernetes-${cluster_name}",
    )  # fmt: skip
    assert sorted((s["objectName"], s["vaultPath"], s["vaultKey"]) for s in papi["secrets"]) == [
        ("gitlab_oauth_app_client_id", "shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_ID"),
        (
            "gitlab_oauth_app_client_secret",
            "shared/data/gitlab_oauth",
            "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_SECRET",
        ),
        ("rw_shared_llm_vkey", "shared/data/litellm-proxy/virtual-keys", "RW_SHARED_LLM"),
        ("secrets.py", "shared/data/secrets", "secrets.py"),
    ]
    assert {s["objectName"]: s["mountPath"] for s in papi["secrets"]}["secrets.py"] == "/secrets/secrets.py"
    assert papi["usedBy"] == sorted(["papi", "celery-worker", "celery-beat", "activities", "alerts", "modelsync"])
    assert papi["k8sSecretName"] == "papi-secrets"
    synced = {s["objectName"]: s["k8sSecretName"] for s in papi["secrets"]}
    assert synced["secrets.py"] == ""  # only mounted as a file, never synced into a Secret
    assert set(synced.values()) <= {"", "papi-secrets"}
    assert set(docs["secrets-map"]["secretProviderClasses"]) == {
        "vault-papi",
        "vault-slackbot",
        "vault-corestate",
        "vault-gitservice",
        "vault-litellm-proxy",
    }

    # configmaps.json: raw values as in git, resolved values as Flux applies them
    configmaps = docs["configmaps"]["configMaps"]
    cluster_vars = next(yaml_docs(example_repo / "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"))[
        "data"
    ]
    assert configmaps["cluster-vars"]["keys"] == cluster_vars
    assert "resolvedKeys" not in configmaps["cluster-vars"]  # nothing substituted: no second copy
    assert configmaps["cluster-vars"]["namespace"] == "flux-system"
    assert (
        configmaps["cluster-vars"]["sourceFile"] == "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"
    )
    assert len(configmaps["cluster-vars"]["substitutedBy"]) == 11
    env = configmaps["papi-env-vars-cm"]
    assert (env["generatedBy"], env["sourceFile"]) == ("kustomization", "apps/backend-services/kustomization.yaml")
    assert env["keys"] == {
        "DEFAULT_GITLAB_GROUP": "${cluster_name}", "GIT_SERVICE_URL": "https://git.${subdomain}.${domain}",
        "CONTAINER_REGISTRY": "gcr.io/${project_id}", "PAPI_SERVICE_URL": "http://papi.backend-services.svc.cluster.local",
    }  # fmt: skip
    assert env["resolvedKeys"] == {  # only the keys substitution changes
        "DEFAULT_GITLAB_GROUP": "platform-cluster-01", "GIT_SERVICE_URL": "https://git.nonprod.runwhen.com",
        "CONTAINER_REGISTRY": "gcr.io/runwhen-nonprod",
    }  # fmt: skip
    assert env["keyReaders"]["PAPI_SERVICE_URL"] == [
        "alerts: env PAPI_SERVICE_URL", "celery-worker: envFrom as PAPI_SERVICE_URL", "papi: envFrom as PAPI_SERVICE_URL",
    ]  # fmt: skip
    assert {"papi", "celery-worker"} <= set(env["usedBy"])
    substitution = docs["configmaps"]["variableSubstitution"]
    assert (substitution["mechanism"], substitution["sourceConfigMap"], substitution["namespace"], substitution["syntax"]) == (
        "Flux postBuild.substituteFrom", "cluster-vars", "flux-system", "${variable_name}",
    )  # fmt: skip
    assert (
        substitution["commonVariables"]["${cluster_name}"]
        == "platform-cluster-01 (from ConfigMap flux-system/cluster-vars)"
    )

    # SKILL.md: tables and diagrams from the graph
    guide = (out / SKILL / "SKILL.md").read_text()
    assert "| `backend-services` | 18 workloads (Service Index); HelmReleases neo4j, qdrant, redis-sentinel |" in guide
    assert (
        "infrastructure\n    ├──► cortex\n    │    └──► runwhen-backend-services  (also waits for linkerd, vault)"
        in guide
    )
    assert "    ├── Path: shared/data/secrets (key secrets.py)" in guide
    assert "SecretProviderClass (vault-papi, namespace backend-services)" in guide
    assert 'Apps reference ${cluster_name} → resolved to "platform-cluster-01"' in guide
    assert "| **loki** | Log storage | `loki` |" in guide
    regenerate = (out / f"{SKILL}-regenerate" / "SKILL.md").read_text()
    assert f"kg load examples/platform --repo-name {repo_name}" in regenerate
    assert str(example_repo) not in regenerate


def test_eso_fixture_exports_external_secrets(cli_env, repo_name, tmp_path):
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "eso-vault"
    load(fixture, repo_name)
    out = tmp_path / "skills"
    docs = export(out, repo_name, "--timestamp", STAMP)
    assert_valid_skill(out)
    secrets = docs["secrets-map"]
    db = secrets["externalSecrets"]["payments-db"]
    assert (db["store"], db["storeKind"], db["k8sSecretName"]) == (
        "vault-kv",
        "ClusterSecretStore",
        "payments-db-credentials",
    )
    assert sorted((s["objectName"], s["vaultPath"], s["vaultKey"]) for s in db["secrets"]) == [
        ("DB_PASSWORD", "kv/data/payments/db", "password"), ("DB_USER", "kv/data/payments/db", "username"),
    ]  # fmt: skip
    assert secrets["secretStores"]["vault-kv"]["serverRaw"] == "${vault_address}"
    assert secrets["secretProviderClasses"]["azure-payments"]["provider"] == "azure"
    variables = docs["configmaps"]["variableSubstitution"]["variables"]
    assert all(v["value"] == "" for v in variables.values() if v["redacted"])
    assert "ExternalSecret payments-db" in (out / SKILL / "SKILL.md").read_text()


@pytest.mark.parametrize(
    "corpus", ["fluxcd__flux2-kustomize-helm-example", "toboshii__home-ops", "xUnholy__k8s-gitops"]
)
def test_corpus_export_validates_is_byte_identical_and_current(cli_env, corpora, repo_name, tmp_path, corpus):
    load(corpora / corpus, repo_name)
    first, second = tmp_path / "first", tmp_path / "second"
    export(first, repo_name)
    export(second, repo_name)
    assert_valid_skill(first)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) == 6
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    result = kg("export", "--check", "--out", first, "--repo", repo_name)
    assert result.exit_code == 0, result.output


def test_check_then_change_then_check(cli_env, example_repo, repo_name, tmp_path):
    repo = tmp_path / "platform"
    shutil.copytree(example_repo, repo)
    load(repo, repo_name)
    out = tmp_path / "skills"
    export(out, repo_name, "--timestamp", STAMP)
    result = kg("export", "--check", "--out", out, "--repo", repo_name, "--timestamp", STAMP)
    assert result.exit_code == 0 and "is current" in result.output
    cluster_vars = repo / "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"
    cluster_vars.write_text(cluster_vars.read_text().replace("domain: runwhen.com", "domain: runwhen.io"))
    load(repo, repo_name)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = kg("export", "--check", "--out", out, "--repo", repo_name, "--timestamp", STAMP)
    assert result.exit_code == 1
    assert (
        "changed  flux-infra-guide/data/configmaps.json: configMaps ~2 (cluster-vars, papi-env-vars-cm)"
        in result.output
    )
    assert "is stale" in result.output.splitlines()[-1]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # --check writes nothing


def test_an_export_that_breaks_its_schema_writes_nothing(cli_env, example_repo, repo_name, tmp_path, monkeypatch):
    from kg import export as export_module

    load(example_repo, repo_name)
    strict = {**export_module.schema("services"), "required": ["services", "metadata", "nothing-has-this"]}
    monkeypatch.setattr(
        export_module, "schema", lambda stem: strict if stem == "services" else export_module.schema.__wrapped__(stem)
    )
    out = tmp_path / "skills"
    result = kg("export", "--out", out, "--repo", repo_name)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "kg: error: export: data/services.json does not match its schema at (top level): "
        "'nothing-has-this' is a required property; nothing was written"
    ]
    assert not out.exists()
