"""examples/platform: where papi gets its credentials and what its settings really are."""

PREFIX = "platform:platform-cluster"


def credentials(gd, workload_id):
    """Every Vault read behind a workload, walked as an on-call engineer would: the SPCs
    it mounts and the Secrets it uses, back to whatever syncs them."""
    readers = [r.end for r in gd.rels_from(workload_id, "MOUNTS")]
    for use in gd.rels_from(workload_id, "USES"):
        readers += [r.start for r in gd.rels_to(use.end, "SYNCS")]
    out = set()
    for reader in readers:
        for fetch in gd.rels_from(reader, "FETCHES"):
            location = gd.nodes[fetch.end]
            out.add((gd.nodes[reader].props["name"], location.props["api_path"], fetch.props["key"]))
    return sorted(out)


def test_papi_credentials_are_the_four_seed_vault_objects(example_load):
    gd = example_load.graph
    assert credentials(gd, f"{PREFIX}/Deployment/backend-services/papi") == [
        ("vault-papi", "shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_ID"),
        ("vault-papi", "shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_SECRET"),
        ("vault-papi", "shared/data/litellm-proxy/virtual-keys", "RW_SHARED_LLM"),
        ("vault-papi", "shared/data/secrets", "secrets.py"),
    ]
    spc = gd.nodes[f"{PREFIX}/SecretProviderClass/backend-services/vault-papi"]
    assert spc.props["vault_role"] == "shared_secrets"
    # the auth mount as written and as resolved for this cluster
    assert spc.props["vault_mount_path_raw"] == "kubernetes-${cluster_name}"
    assert spc.props["vault_mount_path"] == "kubernetes-platform-cluster-01"
    assert spc.props["vault_address_raw"] == "${vault_address}"
    # the synced Secret papi reads RW_SHARED_LLM from
    (use,) = [r for r in gd.rels_from(f"{PREFIX}/Deployment/backend-services/papi", "USES") if r.end_label == "Secret"]
    assert gd.nodes[use.end].props["origin"] == "SecretProviderClass vault-papi"
    assert use.props["keys"] == ["RW_SHARED_LLM"]


def test_vault_locations_are_per_server_and_logical(example_load):
    gd = example_load.graph
    location = gd.nodes[f"{PREFIX}/VaultPath/vault.vault.svc.cluster.local:8200/shared/secrets"]
    assert (location.props["path"], location.props["api_path"], location.props["mount"]) == (
        "shared/secrets",
        "shared/data/secrets",
        "shared",
    )
    (backend,) = gd.rels_from(location.id, "BACKED_BY")
    assert gd.nodes[backend.end].props["name"] == "vault"


def test_git_service_url_raw_resolved_and_its_cluster_vars_keys(example_load):
    gd = example_load.graph
    key = gd.nodes[f"{PREFIX}/ConfigKey/backend-services/papi-env-vars-cm/GIT_SERVICE_URL"]
    assert key.props["value_raw"] == "https://git.${subdomain}.${domain}"
    assert key.props["value"] == "https://git.nonprod.runwhen.com"
    sources = {}
    for uses_var in gd.rels_from(key.id, "USES_VAR"):
        assert uses_var.props == {"origin": "ConfigMap flux-system/cluster-vars", "redacted": False}
        (defined,) = gd.rels_from(uses_var.end, "DEFINED_BY")
        cluster_key = gd.nodes[defined.end]
        sources[gd.nodes[uses_var.end].props["name"]] = (
            cluster_key.props["configmap"],
            cluster_key.props["key"],
            cluster_key.props["value"],
        )
    assert sources == {
        "subdomain": ("cluster-vars", "subdomain", "nonprod"),
        "domain": ("cluster-vars", "domain", "runwhen.com"),
    }
    assert "redacted_vars" not in key.props
