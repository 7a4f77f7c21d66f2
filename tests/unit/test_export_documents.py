"""The export's data files from query rows (no database): the key policy in every file,
Flux references as Flux reads them, no credentials, schema validation that stops the
export, byte-stable output, and `--check`'s summary."""

import json

import pytest

from kg import cypher_files
from kg.errors import KgError
from kg.export import build_files, check, dumps, validate, write_files
from kg.skill import documents


def workload(cluster, namespace, name, **extra):
    return {
        "id": f"r:{cluster}/Deployment/{namespace}/{name}", "cluster": cluster, "service": name, "namespace": namespace,
        "deployment": name, "kind": "Deployment", "kustomization": "apps", "flux_path": "apps", "description": None,
        "source_file": f"apps/{name}.yaml", "images": ["img:1"], "app": name, "secret_provider_classes": [],
        "config_maps": [], "secrets": [], "calls": [], **extra,
    }  # fmt: skip


def kustomization(cluster, name, depends_on=(), root=False, namespace="flux-system"):
    return {
        "id": f"r:{cluster}/Kustomization/{namespace}/{name}", "cluster": cluster, "name": name, "namespace": namespace,
        "path": f"./{name}", "source_dir": name, "source_kind": "GitRepository", "source_name": "flux-system",
        "depends_on": list(depends_on), "interval": "1m", "prune": True, "suspend": False, "wait": None, "timeout": None,
        "target_namespace": None, "substitute_from": ["ConfigMap/cluster-vars"], "root": root,
        "source_file": "clusters/x.yaml", "render_error": None, "unresolved_vars": None, "parent": None if root else "flux-system",
    }  # fmt: skip


def configmap(cluster, namespace, name, users=()):
    return {
        "id": f"r:{cluster}/ConfigMap/{namespace}/{name}", "cluster": cluster, "name": name, "namespace": namespace,
        "generated_by": "manifest", "generator": None, "generated_name": None, "source_file": f"{name}.yaml",
        "kustomization": "apps", "users": list(users), "substituted_by": [], "values_for": [],
    }  # fmt: skip


def spc(cluster, namespace, name):
    return {
        "id": f"r:{cluster}/SecretProviderClass/{namespace}/{name}", "cluster": cluster, "name": name, "namespace": namespace,
        "provider": "vault", "vault_role": "app", "vault_mount_path": "kubernetes-c1", "vault_mount_path_raw": "kubernetes-${cluster_name}",
        "vault_address": "http://vault.vault:8200", "vault_address_raw": "${vault_address}", "vault_namespace": None,
        "object_names": ["db"], "source_file": "spc.yaml", "users": ["web"], "mount_paths": ["/secrets"], "synced_secrets": [],
    }  # fmt: skip


def empty_rows():
    return {name: [] for name in documents.QUERIES}


def rows_with_collisions():
    rows = empty_rows()
    rows["services"] = [
        workload("c1", "a", "web"),
        workload("c1", "b", "web"),
        workload("c1", "a", "api"),
        workload("c2", "a", "api"),
    ]
    rows["kustomizations"] = [
        kustomization("c1", "flux-system", root=True),
        kustomization("c1", "apps", ["flux-system/infra"]),
        kustomization("c1", "infra"),
        kustomization("c2", "apps", ["other/infra"]),
    ]
    rows["configmaps"] = [configmap("c1", "a", "settings", ["web"]), configmap("c1", "b", "settings")]
    rows["config_keys"] = [
        {"configmap_id": "r:c1/ConfigMap/a/settings", "key": "URL", "value_raw": "https://${domain}", "value": "https://example.org",
         "binary": None, "variables": ["domain"], "redacted_vars": None, "unresolved_vars": None},
        {"configmap_id": "r:c1/ConfigMap/a/settings", "key": "TOKEN", "value_raw": "${token}", "value": "${token}",
         "binary": None, "variables": ["token"], "redacted_vars": ["token"], "unresolved_vars": None},
    ]  # fmt: skip
    rows["secret_provider_classes"] = [spc("c1", "a", "vault-web"), spc("c2", "a", "vault-web")]
    rows["secret_fetches"] = [
        {"reader_id": "r:c1/SecretProviderClass/a/vault-web", "object_name": "db", "key": "password", "via": None, "match": None,
         "vault_path": "kv/web/db", "api_path": "kv/data/web/db", "mount": "kv", "kv_version": "v2", "backend": "vault.vault.svc.cluster.local:8200"},
    ]  # fmt: skip
    rows["sources"] = [
        {"id": "s1", "cluster": "c1", "kind": "GitRepository", "name": "flux-system", "namespace": "flux-system",
         "url": "https://bot:s3cr3t@git.example.org/infra.git", "ref": "branch=main", "interval": "1m", "source_file": "gotk-sync.yaml"},
        {"id": "s2", "cluster": "c1", "kind": "HelmRepository", "name": "flux-system", "namespace": "flux-system",
         "url": "https://charts.example.org", "ref": None, "interval": "1h", "source_file": "charts.yaml"},
    ]  # fmt: skip
    rows["substitutions"] = [
        {"cluster": "c1", "kustomization": "apps", "kind": "ConfigMap", "name": "cluster-vars", "namespace": "flux-system", "optional": False},
        {"cluster": "c1", "kustomization": "apps", "kind": "Secret", "name": "cluster-secrets", "namespace": "flux-system", "optional": True},
    ]  # fmt: skip
    rows["variables"] = [
        {"cluster": "c1", "name": "domain", "value": "example.org", "redacted": False, "defined_in": ["ConfigMap flux-system/cluster-vars"], "key_users": 1, "kustomization_users": 1},
        {"cluster": "c2", "name": "domain", "value": "example.com", "redacted": False, "defined_in": ["ConfigMap flux-system/cluster-vars"], "key_users": 0, "kustomization_users": 1},
        {"cluster": "c1", "name": "token", "value": None, "redacted": True, "defined_in": ["Secret flux-system/cluster-secrets"], "key_users": 1, "kustomization_users": 0},
        {"cluster": "c1", "name": "region", "value": "eu", "redacted": False, "defined_in": ["Kustomization flux-system/apps (inline)"], "key_users": 0, "kustomization_users": 1},
    ]  # fmt: skip
    return rows


def test_every_file_applies_the_key_policy_and_loses_nothing():
    docs = documents.build(rows_with_collisions())
    assert set(docs["services"]["services"]) == {"a/web", "b/web", "c1/a/api", "c2/a/api"}
    assert set(docs["flux-resources"]["kustomizations"]) == {
        "flux-system",
        "c1/flux-system/apps",
        "c2/flux-system/apps",
        "infra",
    }
    # same name and namespace, different kind: the kind tells them apart
    assert set(docs["flux-resources"]["sources"]) == {
        "c1/GitRepository/flux-system/flux-system",
        "c1/HelmRepository/flux-system/flux-system",
    }
    assert set(docs["configmaps"]["configMaps"]) == {"a/settings", "b/settings"}
    assert set(docs["secrets-map"]["secretProviderClasses"]) == {"c1/a/vault-web", "c2/a/vault-web"}
    assert set(docs["configmaps"]["variableSubstitution"]["variables"]) == {"c1/domain", "c2/domain", "token", "region"}


def test_values_are_flux_true():
    docs = documents.build(rows_with_collisions())
    ks = docs["flux-resources"]["kustomizations"]
    assert ks["c1/flux-system/apps"]["dependsOn"] == ["infra"]  # same namespace: the name, as written in Flux
    assert ks["c2/flux-system/apps"]["dependsOn"] == ["other/infra"]  # across namespaces: namespace/name
    assert ks["c1/flux-system/apps"]["substituteFrom"] == ["cluster-vars"]
    source = docs["flux-resources"]["sources"]["c1/GitRepository/flux-system/flux-system"]
    assert source["url"] == "https://git.example.org/infra.git"  # credentials in a URL never leave
    spc = docs["secrets-map"]["secretProviderClasses"]["c1/a/vault-web"]
    assert spc["vaultMountPath"] == "kubernetes-${cluster_name}" and spc["vaultMountPathResolved"] == "kubernetes-c1"
    assert spc["secrets"][0] | {} == {
        **spc["secrets"][0], "objectName": "db", "vaultPath": "kv/data/web/db", "vaultKey": "password",
        "vaultKvPath": "kv/web/db", "mountPath": "/secrets/db",
    }  # fmt: skip
    # an object without a Vault location (another provider) is still listed by name
    assert docs["secrets-map"]["secretProviderClasses"]["c2/a/vault-web"]["secrets"][0]["vaultPath"] == ""
    cm = docs["configmaps"]["configMaps"]["a/settings"]
    assert cm["keys"] == {"URL": "https://${domain}", "TOKEN": "${token}"}
    # only what substitution changes; a Secret's variable stays a reference, as in `keys`
    assert cm["resolvedKeys"] == {"URL": "https://example.org"}
    assert cm["redactedVariables"] == ["token"] and cm["usedBy"] == ["web"]
    subst = docs["configmaps"]["variableSubstitution"]
    assert subst["mechanism"] == "Flux postBuild.substituteFrom and Flux postBuild.substitute (inline)"
    assert (subst["sourceConfigMap"], subst["namespace"]) == ("cluster-vars", "flux-system")
    assert subst["inlineSubstitute"] == ["apps"]
    assert subst["variables"]["token"]["value"] == "" and subst["variables"]["token"]["redacted"] is True
    assert subst["commonVariables"]["${token}"].startswith("redacted")
    assert subst["commonVariables"]["c2/${domain}"].startswith("example.com")


def _meta():
    return {
        "generatedFrom": "r",
        "generatedAt": "2026-02-02T10:00:00Z",
        "gitRevision": "",
        "fluxRepoPath": "r",
        "fluxRepoUrl": "",
        "clusters": ["c1", "c2"],
    }


def test_each_document_validates_against_its_schema():
    for stem, body in documents.build(rows_with_collisions()).items():
        validate(stem, {**body, "metadata": _meta()})


class FakeStore:
    """Answers the export queries from prepared rows (by query text)."""

    def __init__(self, rows):
        self.by_text = {cypher_files.text(f"export/{name}.cypher"): found for name, found in rows.items()}
        self.by_text[cypher_files.text("export/repo.cypher")] = [
            {
                "name": "r",
                "path": "r",
                "git_revision": "abc",
                "git_commit_time": "2026-02-02T11:00:00+01:00",
                "loaded_at": None,
                "clusters": ["c1", "c2"],
            }
        ]

    def query(self, text, params=None):
        return self.by_text[text]


def test_a_schema_failure_is_one_line_and_stops_the_export(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    rows = rows_with_collisions()
    rows["services"][0]["kind"] = "CronJob"  # not a long-running workload: the schema refuses it
    with pytest.raises(KgError) as caught:
        build_files(FakeStore(rows), "r", None, None)
    message = str(caught.value)
    assert "data/services.json does not match its schema" in message and "nothing was written" in message
    assert "\n" not in message


def test_two_builds_are_byte_identical_and_check_summarises_changes(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = build_files(FakeStore(rows_with_collisions()), "r", None, None)
    assert first == build_files(FakeStore(rows_with_collisions()), "r", None, None)
    for content in first.values():
        assert content.endswith("\n")
    assert json.loads(first["flux-infra-guide/data/services.json"])["metadata"]["generatedAt"] == "2026-02-02T10:00:00Z"
    assert check(tmp_path, first) == [f"added    {name}" for name in sorted(first)]
    write_files(tmp_path, first)
    assert check(tmp_path, first) == []
    (tmp_path / "flux-infra-guide/data/old.json").write_text("{}\n")
    rows = rows_with_collisions()
    rows["services"].append(workload("c1", "a", "worker"))
    rows["services"][0]["images"] = ["img:2"]
    second = build_files(FakeStore(rows), "r", None, None)
    summary = check(tmp_path, second)
    assert "changed  flux-infra-guide/data/services.json: services +1 (worker) ~1 (a/web)" in summary
    assert "removed  flux-infra-guide/data/old.json" in summary
    assert any(line.startswith("changed  flux-infra-guide/SKILL.md: +") for line in summary)
    write_files(tmp_path, second)
    assert check(tmp_path, second) == []  # the stale data file is gone too
    assert not (tmp_path / "flux-infra-guide/data/old.json").exists()


def test_unwritable_output_is_a_readable_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(KgError, match="cannot write the skill into"):
        write_files(blocker, {"flux-infra-guide/SKILL.md": "x\n"})


def test_dumps_sorts_keys_and_ends_with_a_newline():
    assert dumps({"b": [2, 1], "a": "é"}) == '{\n  "a": "é",\n  "b": [\n    2,\n    1\n  ]\n}\n'


def test_the_registry_names_what_each_data_file_reads_and_its_schema():
    """A data file's builder reads only the queries its entry names; each query has its
    file under cypher/export/ and each data file its schema."""
    from importlib import resources

    full = rows_with_collisions()
    for data_file in documents.DATA_FILES:
        own = {name: full[name] for name in data_file.queries}
        assert data_file.build(own) == data_file.build(full), data_file.stem
        assert resources.files("kg.skill").joinpath(data_file.schema).is_file()
    for name in documents.QUERIES:
        assert cypher_files.text(f"export/{name}.cypher")
