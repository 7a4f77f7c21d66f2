"""Settings (issue 17): every substituted field, inline env value, SecretProviderClass
parameter and HelmRelease value of tests/fixtures/settings, with its raw text, its value
in each cluster and where it came from (no database: the loader's records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.questions.answer import glob_pattern

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "settings"
API = "Deployment/shop/api"
ENV = "spec.template.spec.containers[api].env."


@pytest.fixture(scope="module")
def loaded():
    from kg.loaders import load_repo

    return load_repo(FIXTURE)


@pytest.fixture(scope="module")
def settings(loaded):
    """(cluster, object, path) -> the Setting's properties."""
    return {
        (n.props["cluster"], n.props["object"], n.props["path"]): n.props
        for n in loaded.graph.nodes.values()
        if n.label == "Setting"
    }


def uses_var(loaded, setting_id: str) -> dict[str, dict]:
    return {
        r.end.rsplit("/", 1)[-1]: r.props
        for r in loaded.graph.rels.values()
        if r.type == "USES_VAR" and r.start == setting_id
    }


def test_env_values_with_variables_resolve_per_cluster(settings):
    for cluster, value in (
        ("staging", "db.staging.example.internal"),
        ("production", "db.production.example.internal"),
    ):
        db = settings[(cluster, API, ENV + "DB_HOST")]
        assert (db["raw"], db["value"], db["via"]) == ("db.${environment}.example.internal", value, "env")
        assert db["variables"] == ["environment"]
        assert "ConfigMap flux-system/cluster-vars" in db["origin"]
    # inline substitute of each cluster's Kustomization
    assert settings[("staging", API, ENV + "REGION")]["value"] == "eu-west-1"
    assert settings[("production", API, ENV + "REGION")]["value"] == "eu-central-1"
    # a default in the text, overridden where cluster-vars defines the variable
    assert settings[("staging", API, ENV + "CLUSTER_LABEL")]["value"] == "unlabelled"
    assert settings[("production", API, ENV + "CLUSTER_LABEL")]["value"] == "blue"


def test_inline_env_without_variables_and_escapes(settings, loaded):
    level = settings[("staging", API, ENV + "LOG_LEVEL")]
    assert (level["raw"], level["value"], level.get("variables") or []) == ("info", "info", [])
    literal = settings[("staging", API, ENV + "LITERAL")]
    # $${...} is an escape: Flux writes ${not_a_variable}, no variable is used
    assert (literal["raw"], literal["value"]) == ("$${not_a_variable}", "${not_a_variable}")
    setting_id = next(n.id for n in loaded.graph.nodes.values() if n.props.get("path") == ENV + "LITERAL")
    assert uses_var(loaded, setting_id) == {}


def test_variable_origins_on_uses_var(settings, loaded):
    ids = {
        (n.props["cluster"], n.props["path"]): n.id
        for n in loaded.graph.nodes.values()
        if n.label == "Setting" and n.props["object"] == API
    }
    assert uses_var(loaded, ids[("staging", ENV + "CLUSTER_LABEL")])["cluster_label"]["origin"] == "default in the text"
    assert uses_var(loaded, ids[("production", ENV + "REGION")])["region"]["origin"] == (
        "Kustomization flux-system/apps (inline)"
    )
    token = uses_var(loaded, ids[("production", ENV + "API_TOKEN")])["api_token"]
    assert token == {"origin": "Secret flux-system/cluster-secrets", "redacted": True}


def test_literal_replicas_is_a_setting_too(settings):
    replicas = settings[("production", API, "spec.replicas")]
    assert (replicas["raw"], replicas["value"], replicas["via"]) == ("2", "2", "field")


def test_args_schedule_and_spc_parameters(settings):
    args = settings[("production", API, "spec.template.spec.containers[api].args[0]")]
    assert (args["raw"], args["value"], args["via"]) == ("--cluster=${cluster_name}", "--cluster=prd-eu1", "args")
    for cluster, value in (("staging", "0 3 * * *"), ("production", "30 1 * * *")):
        schedule = settings[(cluster, "CronJob/shop/backup", "spec.schedule")]
        assert (schedule["raw"], schedule["value"]) == ("${backup_schedule}", value)
        vault = settings[(cluster, "SecretProviderClass/shop/vault-api", "spec.parameters.vaultAddress")]
        assert vault["raw"] == "${vault_addr}" and vault["via"] == "parameter"
    assert settings[("production", "SecretProviderClass/shop/vault-api", "spec.parameters.vaultAddress")]["value"] == (
        "https://vault.prd.example.internal:8200"
    )


def test_helm_values_in_helms_order_with_the_patching_overlay(settings):
    web = "HelmRelease/shop/web"
    staging, production = (settings[(c, web, "values.replicaCount")] for c in ("staging", "production"))
    # valuesFrom says 5, inline values (merged last) say 1: Helm's order
    assert (staging["value"], staging["origin"]) == ("1", "inline values of apps/base/web.yaml")
    assert production["value"] == "3"
    assert production["origin"] == "a patch from overlay apps/overlays/production (base value 1)"
    memory = settings[("production", web, "values.resources.limits.memory")]
    assert memory["value"] == "1Gi" and "base value 256Mi" in memory["origin"]
    log = settings[("staging", web, "values.logLevel")]
    assert (log["value"], log["origin"]) == ("debug", "valuesFrom ConfigMap shop/web-values key values.yaml")
    logo = settings[("staging", web, "values.ui.logo")]  # targetPath: the key's whole text
    assert logo["value"].startswith("logLevel: debug")
    host = settings[("production", web, "values.ingress.hosts[0].host")]
    assert (host["raw"], host["value"]) == ("web.${environment}.example.com", "web.production.example.com")
    assert host["variables"] == ["environment"]


def test_values_from_a_secret_are_key_names_only(settings):
    web = "HelmRelease/shop/web"
    secret = [p for (c, o, _), p in settings.items() if o == web and "Secret" in p["origin"]]
    assert [p["cluster"] for p in secret] == ["production"]  # optional: staging has no such Secret
    assert secret[0]["value"] == "<redacted: from Secret shop/web-secret-values>" and secret[0]["redacted"]


@pytest.mark.parametrize(
    "glob,text,matches",
    [
        ("*replicas", "values.singleBinary.replicas", True),
        ("*replicas", "values.replicaCount", False),
        ("db_host", "DB_HOST", True),
        ("spec.env.*", "spec.env.X", True),
        ("spec.env.*", "specXenv.X", False),
        ("a?c", "abc", True),
    ],
)
def test_key_glob_is_a_case_insensitive_whole_text_pattern(glob, text, matches):
    import re

    assert bool(re.fullmatch(glob_pattern(glob), text)) is matches
    assert glob_pattern(None) == ".*"


def test_sops_ciphertext_in_a_field_is_never_recorded():
    from kg.graphdoc import GraphDoc
    from kg.loaders.extract.context import ClusterContext
    from kg.loaders.extract.settings import SettingsExtractor
    from kg.loaders.extract.workloads import add_workload
    from kg.loaders.model import ClusterRender, Rendered

    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w", "namespace": "n"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "c", "env": [{"name": "X", "value": "ENC[AES256_GCM,data:abc]"}]}]}
            }
        },
    }
    ctx = ClusterContext(repo="r", cluster=ClusterRender(name="c1", root_file="", root_path=""), gd=GraphDoc())
    rendered = Rendered(obj=obj, raw=obj, source_file="w.yaml", managed_by="flux-system/apps")
    add_workload(ctx, rendered)
    SettingsExtractor(ctx, None).add(rendered)
    (setting,) = [n.props for n in ctx.gd.nodes.values() if n.label == "Setting"]
    assert setting["value"] == setting["raw"] == "<redacted: SOPS-encrypted>" and setting["redacted"]
