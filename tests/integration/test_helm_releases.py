"""HelmReleases rendered with the real helm, end to end, on both engines.

The test writes a Flux repository whose HelmRepository points at a real chart
repository served on loopback (charts packaged by `helm package` from sources in
tests/helm_support.py): a release of the app-template-like chart with `valuesFrom` a
generated ConfigMap, env from an ExternalSecret's target through `envFrom`, and a
postRenderer patch; a chart with CRDs; a path chart in the repository itself (a
GitRepository chart); and one release whose chart does not exist (a failure that is a
warning and a `problems` row, never a crash).
"""

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.helm_support import (
    APP_VALUES,
    CONTROLLERS,
    HELPERS,
    SERVICES,
    ChartServer,
    hermetic_helm_env,
    package_repository,
    require_helm,
    write_chart,
    write_sources,
)

pytestmark = pytest.mark.integration


def kg(*args, code=0):
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def flux_repo(root: Path, chart_url: str) -> Path:
    write(
        root,
        "clusters/shop/flux-system/gotk-sync.yaml",
        """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: flux-system, namespace: flux-system}
        spec: {interval: 1m, url: https://git.example.com/acme/shop.git, ref: {branch: main}}
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: flux-system, namespace: flux-system}
        spec: {interval: 10m, path: ./clusters/shop, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
        """,
    )
    write(
        root,
        "clusters/shop/apps.yaml",
        """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
        """,
    )
    write(
        root,
        "apps/kustomization.yaml",
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [repository.yaml, store.yaml, storefront, widgets.yaml, greeter.yaml, broken.yaml]
        """,
    )
    write(
        root,
        "apps/repository.yaml",
        f"""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata: {{name: charts, namespace: flux-system}}
        spec: {{interval: 1h, url: "{chart_url}"}}
        """,
    )
    write(
        root,
        "apps/store.yaml",
        """
        apiVersion: external-secrets.io/v1
        kind: ClusterSecretStore
        metadata: {name: onepassword}
        spec:
          provider:
            onepassword:
              connectHost: http://onepassword-connect.external-secrets.svc.cluster.local:8080
              vaults: {shop: 1}
              auth: {secretRef: {connectTokenSecretRef: {name: onepassword-connect, key: token, namespace: external-secrets}}}
        """,
    )
    write(
        root,
        "apps/storefront/kustomization.yaml",
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: shop
        resources: [helmrelease.yaml, externalsecret.yaml]
        configMapGenerator:
          - name: storefront-values
            files: [values.yaml]
        configurations: [kustomizeconfig.yaml]
        """,
    )
    # kustomize renames the generated ConfigMap in the release's valuesFrom (Flux's advice)
    write(
        root,
        "apps/storefront/kustomizeconfig.yaml",
        """
        nameReference:
          - kind: ConfigMap
            version: v1
            fieldSpecs:
              - path: spec/valuesFrom/name
                kind: HelmRelease
        """,
    )
    write(
        root,
        "apps/storefront/values.yaml",
        """
        controllers:
          main:
            replicas: 3
        """,
    )
    write(
        root,
        "apps/storefront/helmrelease.yaml",
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: storefront}
        spec:
          interval: 1h
          chart:
            spec:
              chart: app
              version: 1.x
              sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}
          valuesFrom:
            - kind: ConfigMap
              name: storefront-values
          values:
            controllers:
              main:
                containers:
                  app:
                    image: {repository: ghcr.io/acme/storefront, tag: "4.2.0"}
                    env:
                      LOG_LEVEL: info
                    envFrom:
                      - secretRef: {name: storefront-secrets}
          postRenderers:
            - kustomize:
                patches:
                  - target: {kind: Deployment}
                    patch: |
                      - op: add
                        path: /metadata/annotations
                        value: {shop.example.com/post-rendered: "yes"}
        """,
    )
    write(
        root,
        "apps/storefront/externalsecret.yaml",
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: storefront-secrets}
        spec:
          secretStoreRef: {kind: ClusterSecretStore, name: onepassword}
          target: {name: storefront-secrets}
          dataFrom:
            - extract: {key: storefront}
        """,
    )
    write(
        root,
        "apps/widgets.yaml",
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: widgets, namespace: shop}
        spec:
          interval: 1h
          chart:
            spec: {chart: widgets, version: 0.3.0, sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}}
        """,
    )
    write(
        root,
        "apps/greeter.yaml",
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: greeter, namespace: shop}
        spec:
          interval: 1h
          chart:
            spec: {chart: ./charts/greeter, sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}}
          values:
            controllers: {main: {containers: {app: {image: {repository: ghcr.io/acme/greeter, tag: "0.9"}}}}}
        """,
    )
    write(
        root,
        "apps/broken.yaml",
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: ghost, namespace: shop}
        spec:
          interval: 1h
          chart:
            spec: {chart: no-such-chart, version: 1.0.0, sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}}
        """,
    )
    # a path chart committed in the repository (read through the cluster's GitRepository)
    write_chart(
        root / "charts",
        "greeter",
        "0.9.0",
        {
            "values.yaml": APP_VALUES,
            "templates/_helpers.tpl": HELPERS,
            "templates/controllers.yaml": CONTROLLERS,
            "templates/service.yaml": SERVICES,
        },
    )
    return root


@pytest.fixture(scope="module")
def chart_server(tmp_path_factory):
    helm = require_helm()
    world = tmp_path_factory.mktemp("helm-world")
    with pytest.MonkeyPatch.context() as patch:  # Helm's own folders in the test's tmp dir, for this module only
        for key, value in hermetic_helm_env(world).items():
            patch.setenv(key, value)
        package_repository(helm, write_sources(world / "src"), world / "repo")
        server = ChartServer(world / "repo")
        yield server
        server.stop()


@pytest.fixture(params=["embedded", "neo4j"])
def engine(request, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CHART_CACHE", str(tmp_path / "charts"))
    monkeypatch.delenv("KG_OFFLINE", raising=False)  # the charts are served on loopback
    if request.param == "neo4j":
        request.getfixturevalue("cli_env")
        return ["--engine", "neo4j"]
    monkeypatch.delenv("NEO4J_URI", raising=False)
    return ["--engine", "embedded", "--graph", tmp_path / "graph"]


def ask(engine, *args):
    return json.loads(kg("ask", *args, "--format", "json", *engine))


def test_helm_releases_render_to_workloads_with_their_secrets_and_config(chart_server, engine, repo_name, tmp_path):
    repo = flux_repo(tmp_path / "repo", chart_server.url)
    report = json.loads(kg("load", repo, "--repo-name", repo_name, "--format", "json", *engine))
    (cluster,) = report["clusters"]
    assert (cluster["helm_releases"], cluster["charts_rendered"]) == (4, 3)
    reasons = [w["reason"] for w in report["warnings"]]
    assert any("no-such-chart" in r and "ghost" in r for r in reasons), reasons

    # where: the Deployment the chart makes, the release in the chain
    (row,) = ask(engine, "where", "storefront", "--repo", repo_name)
    assert (row["kind"], row["workload"], row["namespace"], row["kustomization"]) == (
        "Deployment",
        "storefront-app",
        "shop",
        "apps",
    )
    assert row["source_file"] == "helm://app@1.1.0/app/templates/controllers.yaml"
    assert "-[MANAGES]-> HelmRelease/storefront -[MANAGES]-> Deployment/storefront-app" in row["evidence"]

    # secrets: envFrom of the ExternalSecret's target, through to the 1Password store
    rows = ask(engine, "secrets", "storefront", "--repo", repo_name)
    (row,) = [r for r in rows if "ExternalSecret" in r["secret"]]
    assert row["secret"] == "Secret storefront-secrets synced by ExternalSecret storefront-secrets"
    assert row["source"] == "ClusterSecretStore onepassword" and row["via"] == "envFrom"
    # blast radius of the store reaches the Helm-delivered workload
    impacted = ask(engine, "blast-radius", "onepassword", "--repo", repo_name)
    assert ("Deployment", "storefront-app") in {(r["kind"], r["name"]) for r in impacted}

    # tree of the release: what the chart renders (valuesFrom's replicas, the CRD kept)
    tree = ask(engine, "tree", "storefront", "--repo", repo_name)
    assert {(r["kind"], r["name"].strip()) for r in tree} >= {
        ("Deployment", "storefront-app"),
        ("Service", "storefront-app"),
    }
    widgets = ask(engine, "tree", "widgets", "--repo", repo_name)
    assert ("Deployment", "widgets-operator") in {(r["kind"], r["name"].strip()) for r in widgets}
    # the path chart from the repository itself
    (row,) = ask(engine, "where", "greeter", "--repo", repo_name)
    # the chart names objects after the release when the release holds its name (app-template does)
    assert (row["workload"], row["source_file"]) == (
        "greeter",
        "helm://greeter@0.9.0/greeter/templates/controllers.yaml",
    )

    # the unrendered release is a problem row, and still in the graph
    problems = ask(engine, "problems", "--repo", repo_name)
    assert any(r["name"] == "ghost" and "no-such-chart" in (r.get("detail") or "") for r in problems), problems


def test_offline_renders_from_a_cache_filled_by_charts_pull(chart_server, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CHART_CACHE", str(tmp_path / "charts"))
    monkeypatch.delenv("KG_OFFLINE", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    repo = flux_repo(tmp_path / "repo", chart_server.url)
    graph = ["--engine", "embedded", "--graph", tmp_path / "graph"]
    # an empty cache and --offline: nothing fetched, one warning per chart source, the load goes on
    before = len(chart_server.requests)
    report = json.loads(kg("load", repo, "--offline", "--format", "json", *graph))
    assert report["clusters"][0]["charts_rendered"] == 1  # only the path chart of the repository itself
    assert len(chart_server.requests) == before
    pulled = kg("charts", "pull", repo, code=1)  # the missing chart fails the pull, the others are cached
    assert "app 1.1.0" in pulled and "widgets 0.3.0" in pulled and "no-such-chart" in pulled
    report = json.loads(kg("load", repo, "--offline", "--format", "json", *graph))
    assert report["clusters"][0]["charts_rendered"] == 3
