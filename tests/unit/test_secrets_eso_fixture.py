"""tests/fixtures/eso-vault: External Secrets and a SecretProviderClass over one Vault,
checked as GraphDoc records (no database)."""

from kg.schema import COMMON_NODE_PROPERTIES, NODE_TYPES, REL_TYPES

PREFIX = "eso-vault:prod"
VAULT = "vault.vault.svc.cluster.local:8200"


def one(gd, label, name):
    (found,) = gd.find(label, name)
    return found


def fetched(gd, node):
    """(object name, vault location, key, server) per FETCHES of a node."""
    out = []
    for r in gd.rels_from(node.id, "FETCHES"):
        path = gd.nodes[r.end]
        out.append((r.props.get("object_name"), path.props["path"], r.props.get("key"), path.props["backend"]))
    return sorted(out, key=str)


def test_loads_without_warnings_but_the_undefined_chart_source(eso_vault_load):
    assert [c.name for c in eso_vault_load.clusters] == ["prod"]
    # the fixture's HelmRelease names a HelmRepository it never defines: its chart cannot be rendered
    assert [w.reason for w in eso_vault_load.warnings] == [
        "HelmRelease(s) payments-worker: chart not rendered (source, source HelmRepository/flux-system/acme): "
        "HelmRepository/flux-system/acme is not defined in the cluster; the release stands for what it deploys"
    ]


def test_external_secret_resolves_through_the_cluster_store_to_vault_paths(eso_vault_load):
    gd = eso_vault_load.graph
    es = one(gd, "ExternalSecret", "payments-db")
    assert [gd.nodes[r.end].id for r in gd.rels_from(es.id, "VIA")] == [f"{PREFIX}/ClusterSecretStore/vault-kv"]
    assert fetched(gd, es) == [
        ("DB_PASSWORD", "kv/payments/db", "password", VAULT),
        ("DB_USER", "kv/payments/db", "username", VAULT),
    ]
    location = gd.nodes[gd.rels_from(es.id, "FETCHES")[0].end]
    assert (location.props["mount"], location.props["kv_version"], location.props["api_path"]) == (
        "kv",
        "v2",
        "kv/data/payments/db",
    )
    (target,) = gd.rels_from(es.id, "SYNCS")
    secret = gd.nodes[target.end]
    assert secret.id == f"{PREFIX}/Secret/payments/payments-db-credentials"
    assert secret.props["keys"] == ["DB_PASSWORD", "DB_USER"]
    assert secret.props["origin"] == "ExternalSecret payments-db"


def test_spc_and_external_secret_reading_one_location_share_its_node(eso_vault_load):
    gd = eso_vault_load.graph
    spc = one(gd, "SecretProviderClass", "vault-payments")  # v1alpha1, API path kv/data/payments/db
    es = one(gd, "ExternalSecret", "payments-db")  # store path kv, v2, key payments/db
    spc_paths = {r.end for r in gd.rels_from(spc.id, "FETCHES")}
    es_paths = {r.end for r in gd.rels_from(es.id, "FETCHES")}
    assert spc_paths & es_paths == {f"{PREFIX}/VaultPath/{VAULT}/kv/payments/db"}
    readers = sorted(
        gd.nodes[r.start].props["name"] for r in gd.rels_to(f"{PREFIX}/VaultPath/{VAULT}/kv/payments/db", "FETCHES")
    )
    assert readers == ["payments-db", "payments-db", "vault-payments"]  # two ESO keys, one CSI object


def test_other_reference_forms(eso_vault_load):
    gd = eso_vault_load.graph
    # dataFrom.extract with a key that repeats the mount and the data segment
    assert fetched(gd, one(gd, "ExternalSecret", "payments-api-keys")) == [(None, "kv/payments/api", None, VAULT)]
    # a namespaced KV v1 store on the same server spelled vault.vault:8200
    legacy = one(gd, "ExternalSecret", "payments-legacy")
    assert fetched(gd, legacy) == [("LEGACY_TOKEN", "secret/payments/legacy", "token", VAULT)]
    assert [gd.nodes[r.end].id for r in gd.rels_from(legacy.id, "VIA")] == [
        f"{PREFIX}/SecretStore/payments/legacy-store"
    ]
    # the same path on another Vault server is another location
    dr = one(gd, "ExternalSecret", "payments-dr")
    assert fetched(gd, dr) == [("DB_PASSWORD", "kv/payments/db", "password", "vault-dr.example.org:8200")]
    # dataFrom.find: the path searched and the match
    (find,) = gd.rels_from(one(gd, "ExternalSecret", "payments-flags").id, "FETCHES")
    assert gd.nodes[find.end].props["path"] == "kv/payments/flags"
    assert find.props == {"via": "dataFrom.find", "match": "name=~^feature-"}
    # a template decides the target's keys
    assert one(gd, "Secret", "payments-flags").props["keys"] == ["flags.json"]


def test_stores_and_their_backends(eso_vault_load):
    gd = eso_vault_load.graph
    store = gd.nodes[f"{PREFIX}/ClusterSecretStore/vault-kv"]
    assert store.props["server"] == "http://vault.vault.svc.cluster.local:8200"  # ${vault_address} substituted
    assert store.props["server_raw"] == "${vault_address}"
    assert store.props["vault_role"] == "external-secrets"
    assert store.props["vault_auth_mount_path"] == "kubernetes-prod-eu1"
    backends = {gd.nodes[r.end].id for s in gd.by_label("SecretStore") for r in gd.rels_from(s.id, "BACKED_BY")}
    assert backends == {f"{PREFIX}/SecretBackend/{VAULT}", f"{PREFIX}/SecretBackend/vault-dr.example.org:8200"}
    backend = gd.nodes[f"{PREFIX}/SecretBackend/{VAULT}"]
    assert backend.props["name"] == "vault"
    assert [gd.nodes[r.end].id for r in gd.rels_from(backend.id, "SERVED_BY")] == [f"{PREFIX}/Service/vault/vault"]
    assert [gd.nodes[r.end].id for r in gd.rels_from(backend.id, "CALLS")] == [f"{PREFIX}/Service/vault/vault"]
    # the token a store authenticates with
    (uses,) = gd.rels_from(f"{PREFIX}/SecretStore/payments/legacy-store", "USES")
    assert uses.end == f"{PREFIX}/Secret/payments/vault-token" and uses.props["keys"] == ["token"]


def test_workloads_consuming_the_target_secret_are_linked(eso_vault_load):
    gd = eso_vault_load.graph
    target = f"{PREFIX}/Secret/payments/payments-db-credentials"
    users = {gd.nodes[r.start].props["name"]: r.props for r in gd.rels_to(target, "USES")}
    # containers and initContainers of a Deployment, and a CronJob's job template
    assert set(users) == {"payments-api", "payments-report"}
    assert users["payments-api"]["keys"] == ["DB_PASSWORD", "DB_USER"]
    assert users["payments-api"]["env"] == ["DB_PASSWORD", "DB_USER"]
    job_uses = gd.rels_from(f"{PREFIX}/Job/payments/payments-legacy-import", "USES")
    assert [gd.nodes[r.end].props["origin"] for r in job_uses] == ["ExternalSecret payments-legacy"]


def test_every_pod_reference_form(eso_vault_load):
    gd = eso_vault_load.graph
    api = f"{PREFIX}/Deployment/payments/payments-api"
    uses = sorted(
        (gd.nodes[r.end].props["name"], r.props["via"], r.props.get("mount_path", ""))
        for r in gd.rels_from(api, "USES")
    )
    assert uses == [
        ("payments-api-keys", "envFrom", ""),
        ("payments-config", "envFrom", ""),
        ("payments-config", "projected volume", "/etc/bundle"),
        ("payments-db-credentials", "env", ""),
        ("payments-generated", "projected volume", "/etc/bundle"),  # a secretGenerator's hashed name
        ("payments-signing", "projected volume", "/etc/bundle"),  # synced by the SPC
        ("payments-sops", "env", ""),
        ("payments-tls", "volume", "/etc/tls"),
        ("regcred", "imagePullSecrets", ""),
    ]
    generated = one(gd, "Secret", "payments-generated")
    assert generated.props["origin"] == "secretGenerator"
    assert generated.props["generated_name"].startswith("payments-generated-")
    (mount,) = gd.rels_from(api, "MOUNTS")
    assert (gd.nodes[mount.end].props["name"], mount.props["mount_path"]) == ("vault-payments", "/mnt/vault")
    # CSI credentials of another provider
    card_sync = f"{PREFIX}/Deployment/payments/payments-card-sync"
    assert [(gd.nodes[r.end].props["name"], r.props["via"]) for r in gd.rels_from(card_sync, "USES")] == [
        ("azure-kv-creds", "csi nodePublishSecretRef")
    ]


def test_secret_origins(eso_vault_load):
    gd = eso_vault_load.graph
    origins = {n.props["name"]: n.props["origin"] for n in gd.by_label("Secret")}
    assert origins == {
        "cluster-secrets": "manifest",
        "vault-token": "manifest",
        "payments-tls": "manifest",
        "payments-sops": "sops",
        "payments-generated": "secretGenerator",
        "payments-signing": "SecretProviderClass vault-payments",
        "payments-db-credentials": "ExternalSecret payments-db",
        "payments-db-dr": "ExternalSecret payments-dr",
        "payments-api-keys": "ExternalSecret payments-api-keys",
        "payments-legacy": "ExternalSecret payments-legacy",
        "payments-flags": "ExternalSecret payments-flags",
        "payments-worker-values": "reference: valuesFrom",
        "regcred": "reference: Workload",
        "azure-kv-creds": "reference: Workload",
    }
    assert one(gd, "Secret", "payments-sops").props["keys"] == ["STRIPE_KEY", "STRIPE_WEBHOOK_KEY"]  # no `sops`
    assert one(gd, "Secret", "regcred").props["missing"] is True


def test_other_csi_providers_keep_their_object_names(eso_vault_load):
    spc = one(eso_vault_load.graph, "SecretProviderClass", "azure-payments")
    assert spc.props["provider"] == "azure"
    assert spc.props["object_names"] == ["payments-cert", "payments-api-token"]


def test_config_values_redact_secret_sourced_variables_and_name_their_origin(eso_vault_load):
    gd = eso_vault_load.graph
    key = gd.nodes[f"{PREFIX}/ConfigKey/payments/payments-config/DATABASE_URL"]
    assert key.props["value"] == "postgres://payments:${db_admin_password}@postgres.db.svc.cluster.local:5432/payments"
    assert key.props["redacted_vars"] == ["db_admin_password"]
    origins = {
        gd.nodes[r.end].props["name"]: (r.props["origin"], r.props["redacted"])
        for r in gd.rels_from(key.id, "USES_VAR")
    }
    assert origins == {
        "db_user": ("ConfigMap flux-system/cluster-vars", False),
        "db_admin_password": ("Secret flux-system/cluster-secrets", True),
    }


def test_calls_from_config_and_env_values(eso_vault_load):
    gd = eso_vault_load.graph

    def calls(node_id):
        return sorted(gd.nodes[r.end].id.split("/", 1)[1] for r in gd.rels_from(node_id, "CALLS"))

    # http://ledger:8080 (bare, same namespace), redis (CACHE_HOST), vault.vault:8200
    assert calls(f"{PREFIX}/Deployment/payments/payments-api") == [
        "Service/payments/ledger",
        "Service/payments/redis",
        "Service/vault/vault",
    ]
    assert calls(f"{PREFIX}/ConfigKey/payments/payments-config/LEDGER_ENDPOINT") == ["Service/payments/ledger"]
    assert calls(f"{PREFIX}/ConfigKey/payments/payments-config/REDIS_HOST") == ["Service/payments/redis"]
    # no Service postgres in namespace db, and LOG_LEVEL=info is no host
    assert calls(f"{PREFIX}/ConfigKey/payments/payments-config/DATABASE_URL") == []
    assert calls(f"{PREFIX}/ConfigKey/payments/payments-config/LOG_LEVEL") == []


def test_records_follow_the_schema(eso_vault_load):
    gd = eso_vault_load.graph
    for node in gd.nodes.values():
        documented = set(COMMON_NODE_PROPERTIES) | set(NODE_TYPES[node.label].properties)
        assert set(node.props) <= documented, (node.label, set(node.props) - documented)
    for rel in gd.rels.values():
        spec = REL_TYPES[rel.type]
        assert rel.start_label in spec.sources and rel.end_label in spec.targets, rel
        assert set(rel.props) <= set(spec.properties), (rel.type, set(rel.props) - set(spec.properties))
