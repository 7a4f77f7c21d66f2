"""examples/platform rendered as Flux would, checked as GraphDoc records (no database)."""

import base64
import json

import yaml

SEED_SERVICES = {
    # service -> deployment (the seed's celery-beat runs as Deployment `beat`)
    "papi": "papi",
    "activities": "activities",
    "alerts": "alerts",
    "modelsync": "modelsync",
    "agentfarm": "agentfarm",
    "celery-worker": "celery-worker",
    "celery-beat": "beat",
    "flower": "flower",
    "embedder": "embedder",
    "slackbot": "slackbot",
    "sobow-index": "sobow-index",
    "sobow-search": "sobow-search",
    "usearch-indexer": "usearch-indexer",
    "usearch-query": "usearch-query",
    "usearch-worker": "usearch-worker",
    "usearch-beat": "usearch-beat",
    "sobrain": "sobrain",
    "webhooks": "webhooks",
}
PREFIX = "platform:platform-cluster"


def node(gd, label, name, namespace=None):
    found = [n for n in gd.find(label, name) if namespace is None or n.props.get("namespace") == namespace]
    assert len(found) == 1, f"{label} {name}: {found}"
    return found[0]


def targets(gd, node_id, rel_type):
    return sorted(gd.nodes[r.end].props["name"] for r in gd.rels_from(node_id, rel_type))


def test_one_cluster_and_no_warnings_but_uncached_charts(example_load):
    assert [c.name for c in example_load.clusters] == ["platform-cluster"]
    # tests render charts offline from an empty cache (conftest): one warning per chart source
    assert all("chart not rendered (fetch" in w.reason for w in example_load.warnings), example_load.warnings
    assert len(example_load.warnings) == 7
    summary = example_load.clusters[0]
    assert summary.kustomizations_failed == 0


def test_kustomizations_and_their_dependency_chain(example_load):
    gd = example_load.graph
    # what the repo's own YAML declares, read independently of the loader
    declared = {}
    for path in (example_load.path / "clusters" / "platform-cluster").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Kustomization":
                declared[doc["metadata"]["name"]] = sorted(d["name"] for d in doc["spec"].get("dependsOn", []))
    names = {n.props["name"] for n in gd.by_label("Kustomization")}
    assert names == set(declared) | {"flux-system"}
    assert len(declared) == 12
    for name, deps in declared.items():
        assert targets(gd, node(gd, "Kustomization", name).id, "DEPENDS_ON") == deps


def test_root_applies_the_tree(example_load):
    gd = example_load.graph
    cluster = gd.nodes[PREFIX]
    (root,) = gd.rels_from(cluster.id, "ROOT")
    assert gd.nodes[root.end].props["name"] == "flux-system"
    backend = node(gd, "Kustomization", "runwhen-backend-services")
    assert backend.props["path"] == "./apps/backend-services"
    assert backend.props["source_dir"] == "apps/backend-services"
    managed_by_root = targets(gd, root.end, "MANAGES")
    assert "runwhen-backend-services" in managed_by_root and "vault" in managed_by_root


def test_all_seed_services_are_workloads_with_their_kustomization(example_load):
    gd = example_load.graph
    for service, deployment in SEED_SERVICES.items():
        w = node(gd, "Workload", deployment, "backend-services")
        assert w.props["service"] == service
        assert w.props["kind"] == "Deployment"
        assert w.props.get("description"), service
        owners = [gd.nodes[r.start].props["name"] for r in gd.rels_to(w.id, "MANAGES")]
        assert owners == ["runwhen-backend-services"]
    for name, namespace, ks in (
        ("corestate", "corestate", "runwhen-corestate"),
        ("gitservice", "gitservice", "runwhen-gitservice"),
        ("litellm-proxy", "llm-gateway", "runwhen-llm-gateway"),
    ):
        w = node(gd, "Workload", name, namespace)
        assert [gd.nodes[r.start].props["name"] for r in gd.rels_to(w.id, "MANAGES")] == [ks]


def test_images_are_substituted_from_cluster_vars(example_load):
    papi = node(example_load.graph, "Workload", "papi")
    assert papi.props["images"] == ["us-docker.pkg.dev/runwhen-nonprod/images/papi:1.42.0"]


def test_vault_papi_fetches_the_seed_objects_and_is_mounted(example_load):
    gd = example_load.graph
    spc = node(gd, "SecretProviderClass", "vault-papi")
    assert spc.props["provider"] == "vault"
    assert spc.props["vault_role"] == "shared_secrets"
    assert spc.props["vault_mount_path"] == "kubernetes-platform-cluster-01"
    fetched = sorted(
        (r.props["object_name"], gd.nodes[r.end].props["api_path"], r.props["key"])
        for r in gd.rels_from(spc.id, "FETCHES")
    )
    assert fetched == [
        ("gitlab_oauth_app_client_id", "shared/data/gitlab_oauth", "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_ID"),
        (
            "gitlab_oauth_app_client_secret",
            "shared/data/gitlab_oauth",
            "SOCIAL_ACCOUNT_PROVIDERS_GITLAB_APP_CLIENT_SECRET",
        ),
        ("rw_shared_llm_vkey", "shared/data/litellm-proxy/virtual-keys", "RW_SHARED_LLM"),
        ("secrets.py", "shared/data/secrets", "secrets.py"),
    ]
    mounted_by = sorted(gd.nodes[r.start].props["name"] for r in gd.rels_to(spc.id, "MOUNTS"))
    assert mounted_by == ["activities", "alerts", "beat", "celery-worker", "modelsync", "papi"]
    (mount,) = [r for r in gd.rels_to(spc.id, "MOUNTS") if gd.nodes[r.start].props["name"] == "papi"]
    assert mount.props["mount_path"] == "/secrets"
    (backend,) = targets(gd, spc.id, "BACKED_BY")
    assert backend == "vault"


def test_secret_backend_is_served_by_the_vault_release(example_load):
    gd = example_load.graph
    (backend,) = gd.by_label("SecretBackend")
    assert backend.props["address"] == "http://vault.vault.svc.cluster.local:8200"
    assert [gd.nodes[r.end].id for r in gd.rels_from(backend.id, "SERVED_BY")] == [f"{PREFIX}/HelmRelease/vault/vault"]


def test_generated_configmap_keeps_logical_name_raw_and_resolved_values(example_load):
    gd = example_load.graph
    cm = node(gd, "ConfigMap", "papi-env-vars-cm")
    assert cm.props["generated_name"].startswith("papi-env-vars-cm-")
    assert cm.props["source_file"] == "apps/backend-services/kustomization.yaml"
    key = gd.nodes[f"{PREFIX}/ConfigKey/backend-services/papi-env-vars-cm/GIT_SERVICE_URL"]
    assert key.props["value_raw"] == "https://git.${subdomain}.${domain}"
    assert key.props["value"] == "https://git.nonprod.runwhen.com"
    assert targets(gd, key.id, "USES_VAR") == ["domain", "subdomain"]
    subdomain = node(gd, "Variable", "subdomain")
    assert subdomain.props["value"] == "nonprod"
    assert subdomain.props["defined_in"] == ["ConfigMap flux-system/cluster-vars"]
    assert [gd.nodes[r.end].props["configmap"] for r in gd.rels_from(subdomain.id, "DEFINED_BY")] == ["cluster-vars"]


def test_workload_reads_keys_through_hashed_configmap_name(example_load):
    gd = example_load.graph
    papi = node(gd, "Workload", "papi")
    assert targets(gd, papi.id, "USES") == ["papi-env-vars-cm", "papi-secrets"]
    assert "GIT_SERVICE_URL" in targets(gd, papi.id, "READS_KEY")
    alerts = node(gd, "Workload", "alerts")
    assert targets(gd, alerts.id, "READS_KEY") == ["PAPI_SERVICE_URL"]


def test_helm_releases_with_sources(example_load):
    gd = example_load.graph
    expected = {
        "loki": "grafana",
        "mimir": "grafana",
        "redis-sentinel": "bitnami",
        "neo4j": "neo4j",
        "qdrant": "qdrant",
        "vault": "hashicorp",
    }
    for name, source in expected.items():
        hr = node(gd, "HelmRelease", name)
        assert hr.props["chart_source"] == source
        (src,) = gd.rels_from(hr.id, "FROM_SOURCE")
        assert gd.nodes[src.end].props["kind"] == "HelmRepository"
        assert not gd.nodes[src.end].props.get("missing")
    assert node(gd, "HelmRelease", "mimir").props["chart"] == "mimir-distributed"
    redis = node(gd, "HelmRelease", "redis-sentinel")
    assert targets(gd, redis.id, "VALUES_FROM") == ["redis-sentinel-values"]


def test_service_selects_its_workload_and_urls_become_calls(example_load):
    gd = example_load.graph
    svc = node(gd, "Service", "papi")
    assert targets(gd, svc.id, "SELECTS") == ["papi"]
    key = gd.nodes[f"{PREFIX}/ConfigKey/backend-services/papi-env-vars-cm/PAPI_SERVICE_URL"]
    assert targets(gd, key.id, "CALLS") == ["papi"]


def test_every_relationship_endpoint_exists_and_ids_are_scoped(example_load):
    gd = example_load.graph
    for rel in gd.rels.values():
        assert rel.start in gd.nodes and rel.end in gd.nodes
        assert gd.nodes[rel.start].label == rel.start_label
        assert gd.nodes[rel.end].label == rel.end_label
    for n in gd.nodes.values():
        assert n.id == "platform" or n.id.startswith(PREFIX)
        assert n.props.get("name") and n.props.get("kind")


def test_reload_gives_identical_records(example_load):
    from kg.loaders import load_repo

    again = load_repo(example_load.path)
    assert [(n.id, n.props) for n in again.graph.sorted_nodes()] == [
        (n.id, n.props) for n in example_load.graph.sorted_nodes()
    ]
    assert [(r.type, r.start, r.end, r.rel_key, r.props) for r in again.graph.sorted_rels()] == [
        (r.type, r.start, r.end, r.rel_key, r.props) for r in example_load.graph.sorted_rels()
    ]


def test_no_secret_value_is_recorded(tmp_path, example_repo):
    """A Secret's data and a Secret-sourced variable never reach the records."""
    import shutil

    from kg.loaders import load_repo

    repo = tmp_path / "repo"
    shutil.copytree(example_repo, repo)
    plaintext = "hunter2-very-secret"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "cluster-secrets", "namespace": "flux-system"},
        "stringData": {"db_password": plaintext},
        "data": {"api_token": base64.b64encode(plaintext.encode()).decode()},
    }
    (repo / "infrastructure/crossplane-clusters/cluster-vars/cluster-secrets.yaml").write_text(yaml.safe_dump(secret))
    kfile = repo / "infrastructure/crossplane-clusters/cluster-vars/kustomization.yaml"
    k = yaml.safe_load(kfile.read_text())
    k["resources"].append("cluster-secrets.yaml")
    kfile.write_text(yaml.safe_dump(k))
    apps = repo / "clusters/platform-cluster/apps.yaml"
    docs = list(yaml.safe_load_all(apps.read_text()))
    for doc in docs:
        if doc and doc["metadata"]["name"] == "runwhen-backend-services":
            doc["spec"]["postBuild"]["substituteFrom"].append({"kind": "Secret", "name": "cluster-secrets"})
    apps.write_text(yaml.safe_dump_all(docs))
    cm = repo / "apps/backend-services/kustomization.yaml"
    k = yaml.safe_load(cm.read_text())
    k["configMapGenerator"][0]["literals"].append("DB_URL=postgres://app:${db_password}@db:5432/app")
    cm.write_text(yaml.safe_dump(k))

    result = load_repo(repo)
    dump = json.dumps([n.props for n in result.graph.nodes.values()] + [r.props for r in result.graph.rels.values()])
    assert plaintext not in dump
    assert base64.b64encode(plaintext.encode()).decode() not in dump
    secret_node = node(result.graph, "Secret", "cluster-secrets")
    assert secret_node.props["keys"] == ["api_token", "db_password"]
    var = node(result.graph, "Variable", "db_password")
    assert var.props["redacted"] is True and "value" not in var.props
    key = result.graph.nodes["repo:platform-cluster/ConfigKey/backend-services/papi-env-vars-cm/DB_URL"]
    assert key.props["value"] == "postgres://app:${db_password}@db:5432/app"


def test_strongly_connected_finds_cycles_and_self_references_without_recursion():
    from kg.graphdoc import dependency_cycles, strongly_connected

    chain = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}  # a long dependsOn chain: no cycle
    assert all(len(c) == 1 for c in strongly_connected(chain))
    cyclic = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["d"], "e": ["a"]}
    components = sorted(strongly_connected(cyclic))
    assert ["a", "b", "c"] in components and ["d"] in components and ["e"] in components
    assert sorted(dependency_cycles(cyclic)) == [["a", "b", "c"], ["d"]]  # e only leads into one


def test_each_workload_records_its_service_account(tmp_path):
    """The identity a Vault Kubernetes-auth role names: serviceAccountName (a CronJob's in
    its job template), Kubernetes' `default` when unset; services.json carries it."""
    from kg.loaders import load_repo
    from tests.unit.test_messy_input import make_repo

    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "apps"},
                  "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
                      "metadata": {"labels": {"app": "api"}},
                      "spec": {"serviceAccountName": "api-vault", "containers": [{"name": "api", "image": "api:1"}]}}}}  # fmt: skip
    plain = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"},
             "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                 "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}  # fmt: skip
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "sync", "namespace": "apps"},
               "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                   "serviceAccountName": "cert-sync", "containers": [{"name": "sync", "image": "sync:1"}]}}}}}}  # fmt: skip
    repo = make_repo(tmp_path / "repo", {"apps/workloads.yaml": yaml.safe_dump_all([deployment, plain, cronjob])})
    graph = load_repo(repo, repo_name="sa").graph
    accounts = {n.props["name"]: n.props.get("service_account") for n in graph.by_label("Workload")}
    assert accounts == {"api": "api-vault", "web": "default", "sync": "cert-sync"}
