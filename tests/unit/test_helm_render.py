"""HelmReleases rendered with the real helm from real chart repositories: charts the
tests write, package (`helm package`) and index (`helm repo index`), served over HTTP
from 127.0.0.1 and, where one can be had, from a loopback OCI registry.

Skipped only when no helm binary can be had (KG_REQUIRE_HELM=1 makes that a failure).
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helm_support import (  # noqa: E402
    ChartServer,
    OciRegistry,
    copy_tree,
    find_registry,
    helm_run,
    helm_unavailable,
    hermetic_helm_env,
    package_repository,
    require_helm,
    write_sources,
)


@pytest.fixture(scope="module")
def helm() -> str:
    return require_helm()


@pytest.fixture(scope="module")
def world(helm, tmp_path_factory):
    """Chart sources, a packaged repository and Helm's own folders, once per module."""
    root = tmp_path_factory.mktemp("helm-world")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in hermetic_helm_env(root).items():
            patch.setenv(key, value)
        sources = write_sources(root / "src")
        package_repository(helm, sources, root / "repo")
        yield {"root": root, "sources": sources, "repo": root / "repo"}


@pytest.fixture(scope="module")
def server(world):
    srv = ChartServer(world["repo"])
    yield srv
    srv.stop()


def renderer(helm, cache: Path, **kwargs):
    from kg.loaders.helm import HelmRenderer

    return HelmRenderer(helm, cache, **kwargs)


def helm_repository(url: str, name: str = "charts", namespace: str = "flux-system") -> dict:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"url": url, "interval": "1h"},
    }


def release(
    name: str, chart: str = "app", version: str = "^1.0", namespace: str = "media", repo: str = "charts", **spec
) -> dict:
    body = {
        "interval": "1h",
        "chart": {
            "spec": {
                "chart": chart,
                "version": version,
                "sourceRef": {"kind": "HelmRepository", "name": repo, "namespace": "flux-system"},
            }
        },
    }
    body.update(spec)
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


APP_VALUES = {
    "controllers": {
        "main": {
            "containers": {
                "app": {
                    "image": {"repository": "ghcr.io/home-operations/bazarr", "tag": "1.5.2"},
                    "env": {
                        "TZ": "Europe/Paris",
                        "PORT": 6767,
                        "API_KEY": {"valueFrom": {"secretKeyRef": {"name": "bazarr-secret", "key": "api-key"}}},
                    },
                    "envFrom": [{"secretRef": {"name": "bazarr-secret"}}, {"configMapRef": {"name": "bazarr-env"}}],
                }
            }
        }
    },
    "service": {"main": {"controller": "main", "ports": {"http": {"port": 6767}}}},
    "configMaps": {"config": {"data": {"config.yaml": "log: info\n"}}},
    "persistence": {
        "config": {"type": "persistentVolumeClaim", "size": "5Gi", "globalMounts": [{"path": "/config"}]},
        "media": {"type": "persistentVolumeClaim", "existingClaim": "media-nfs", "globalMounts": [{"path": "/media"}]},
    },
}


def by_kind(render) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for obj, _ in render.objects:
        out.setdefault(obj["kind"], []).append(obj)
    return out


def test_app_chart_renders_workload_env_and_references(helm, world, server, tmp_path):
    hr = release("bazarr", values=APP_VALUES)
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url)], None, None)
    assert out.error == "", out.error
    assert (out.release, out.chart, out.version, out.source) == ("media/bazarr", "app", "1.1.0", server.url)
    assert out.release_name == "bazarr" and out.namespace == "media" and not out.cached
    kinds = by_kind(out)
    assert sorted(kinds) == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Service"]  # the test hook is skipped
    [deployment] = kinds["Deployment"]
    assert deployment["metadata"]["name"] == "bazarr-app"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/home-operations/bazarr:1.5.2"
    env = {e["name"]: e for e in container["env"]}
    assert env["TZ"]["value"] == "Europe/Paris" and env["PORT"]["value"] == "6767"
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "bazarr-secret", "key": "api-key"}
    assert container["envFrom"] == [{"secretRef": {"name": "bazarr-secret"}}, {"configMapRef": {"name": "bazarr-env"}}]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["persistentVolumeClaim"]["claimName"] == "bazarr-app-config"
    assert volumes["media"]["persistentVolumeClaim"]["claimName"] == "media-nfs"
    assert [p["metadata"]["name"] for p in kinds["PersistentVolumeClaim"]] == ["bazarr-app-config"]
    templates = {obj["kind"]: template for obj, template in out.objects}
    assert templates == {
        "Deployment": "app/templates/controllers.yaml",
        "Service": "app/templates/service.yaml",
        "ConfigMap": "app/templates/configmap.yaml",
        "PersistentVolumeClaim": "app/templates/pvc.yaml",
    }
    # helm-controller's origin labels on everything it applies
    assert deployment["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] == "bazarr"
    assert deployment["metadata"]["labels"]["helm.toolkit.fluxcd.io/namespace"] == "media"


def test_version_constraints_resolve_against_the_index(helm, world, server, tmp_path):
    sources = [helm_repository(server.url)]
    outs = renderer(helm, tmp_path / "cache").render_all(
        [
            release("a", version="*", values=APP_VALUES),
            release("b", version="1.0.x", values=APP_VALUES),
            release("c", version=">=2.0.0-0", values=APP_VALUES),
            release("d", version="^3", values=APP_VALUES),
        ],
        sources,
        None,
        None,
    )
    assert [o.version for o in outs[:3]] == ["1.1.0", "1.0.0", "2.0.0-rc.1"]  # `*` skips the pre-release
    assert "no version of chart 'app' matches '^3'" in outs[3].error and outs[3].objects == []


def test_values_from_configmap_target_path_and_inline_order(helm, world, server, tmp_path):
    data = {
        ("ConfigMap", "media", "app-values"): {
            "values.yaml": "controllers:\n  main:\n    replicas: 2\n    containers:\n      app:\n"
            "        image: {repository: from-configmap, tag: cm}\n",
            "tag": "from-target-path",
        },
    }
    hr = release(
        "sonarr",
        valuesFrom=[
            {"kind": "ConfigMap", "name": "app-values"},
            {
                "kind": "ConfigMap",
                "name": "app-values",
                "valuesKey": "tag",
                "targetPath": "controllers.main.containers.app.image.tag",
            },
            {"kind": "ConfigMap", "name": "not-there", "optional": True},
        ],
        values={"controllers": {"main": {"containers": {"app": {"image": {"repository": "inline/sonarr"}}}}}},
    )
    [out] = renderer(helm, tmp_path / "cache").render_all(
        [hr], [helm_repository(server.url)], lambda kind, ns, name: data.get((kind, ns, name)), None
    )
    assert out.error == ""
    [deployment] = by_kind(out)["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "inline/sonarr:from-target-path"
    assert any("not-there" in note for note in out.notes)
    # a non-optional ConfigMap that does not exist: an error naming the release, no exception
    [bad] = renderer(helm, tmp_path / "cache").render_all(
        [release("radarr", valuesFrom=[{"kind": "ConfigMap", "name": "missing"}])],
        [helm_repository(server.url)],
        lambda *key: None,
        None,
    )
    assert bad.error.startswith("HelmRelease media/radarr: values:") and "missing" in bad.error and bad.objects == []


SERVICE_LABEL_PATCH = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: lidarr-app\n  labels:\n    exposed: "true"\n'


def test_post_renderer_patches_and_images_run_through_kustomize(helm, world, server, tmp_path):
    patch = '- op: add\n  path: /metadata/annotations\n  value: {patched: "yes"}\n'
    hr = release(
        "lidarr",
        values=APP_VALUES,
        postRenderers=[
            {
                "kustomize": {
                    "patches": [
                        {"target": {"kind": "Deployment", "name": "lidarr-app"}, "patch": patch},
                        {
                            "patch": SERVICE_LABEL_PATCH,
                        },
                    ],
                    "images": [
                        {"name": "ghcr.io/home-operations/bazarr", "newName": "mirror.example/bazarr", "newTag": "9.9"}
                    ],
                }
            }
        ],
        commonMetadata={"labels": {"team": "media"}},
    )
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url)], None, None)
    assert out.error == "", out.error
    kinds = by_kind(out)
    [deployment], [service] = kinds["Deployment"], kinds["Service"]
    assert deployment["metadata"]["annotations"] == {"patched": "yes"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "mirror.example/bazarr:9.9"
    assert service["metadata"]["labels"]["exposed"] == "true"
    assert deployment["metadata"]["labels"]["team"] == "media"  # commonMetadata
    # template files survive the post-renderer
    assert {t for o, t in out.objects if o["kind"] == "Deployment"} == {"app/templates/controllers.yaml"}
    broken = release(
        "readarr",
        values=APP_VALUES,
        postRenderers=[
            {
                "kustomize": {
                    "patches": [
                        {
                            "target": {"kind": "Deployment"},
                            "patch": "- op: replace\n  path: /spec/nothing/here\n  value: 1\n",
                        }
                    ]
                }
            }
        ],
    )
    [bad] = renderer(helm, tmp_path / "cache").render_all([broken], [helm_repository(server.url)], None, None)
    assert bad.error.startswith("HelmRelease media/readarr: post-renderer") and bad.objects == []


def test_long_release_name_and_target_namespace(helm, world, server, tmp_path):
    hr = release(
        "with-a-nice-object-name",
        namespace="flux-system",
        values=APP_VALUES,
        targetNamespace="a-very-lengthy-target-namespace",
        storageNamespace="helm-storage",
    )
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url)], None, None)
    assert out.error == ""
    assert out.release_name == "a-very-lengthy-target-namespace-with-a-n-97af5d7f41f3"
    assert (out.namespace, out.storage_namespace) == ("a-very-lengthy-target-namespace", "helm-storage")
    [service] = by_kind(out)["Service"]
    assert service["metadata"]["labels"]["app.kubernetes.io/instance"] == out.release_name


def test_crds_follow_install_policy(helm, world, server, tmp_path):
    sources = [helm_repository(server.url)]
    outs = renderer(helm, tmp_path / "cache").render_all(
        [
            release("widgets", chart="widgets", version="0.3.0", namespace="ops"),
            release("widgets-skip", chart="widgets", version="0.3.0", namespace="ops", install={"crds": "Skip"}),
        ],
        sources,
        None,
        None,
    )
    created, skipped = outs
    assert created.error == "" and skipped.error == ""
    assert ("CustomResourceDefinition", "widgets/crds/widgets.yaml") in {(o["kind"], t) for o, t in created.objects}
    assert "CustomResourceDefinition" not in by_kind(skipped) and "Deployment" in by_kind(skipped)


def test_dependency_subchart_renders_with_parent_values(helm, world, server, tmp_path):
    hr = release(
        "stack",
        chart="parent",
        version="1.0.0",
        namespace="apps",
        values={"greeting": "bonjour", "child": {"port": 8443}},
    )
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url)], None, None)
    assert out.error == ""
    found = {(o["kind"], t): o for o, t in out.objects}
    assert found[("Service", "parent/charts/child/templates/service.yaml")]["spec"]["ports"][0]["port"] == 8443
    assert found[("ConfigMap", "parent/templates/configmap.yaml")]["data"]["greeting"] == "bonjour"


def test_template_error_is_a_value(helm, world, server, tmp_path):
    hr = release("broken", values={"controllers": {"main": {"containers": {"app": {"image": {"repository": None}}}}}})
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url)], None, None)
    assert (
        out.error.startswith("HelmRelease media/broken: helm template") and "image.repository is required" in out.error
    )
    assert out.objects == []


def test_unfetchable_charts_are_errors_not_exceptions(helm, world, server, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sources = [
        helm_repository(server.url),
        helm_repository(server.url + "/nowhere", name="gone"),
        helm_repository(closed, name="down"),
    ]
    outs = renderer(helm, tmp_path / "cache").render_all(
        [
            release("a", chart="no-such-chart"),
            release("b", repo="gone"),
            release("c", repo="down"),
            release("d", repo="undefined"),
        ],
        sources,
        None,
        None,
    )
    assert "chart 'no-such-chart' not found in repository" in outs[0].error
    assert "HTTP 404" in outs[1].error
    assert "GET " + closed in outs[2].error
    assert "HelmRepository/flux-system/undefined is not defined" in outs[3].error
    for out, name in zip(outs, "abcd", strict=True):
        assert out.error.startswith(f"HelmRelease media/{name}:") and out.objects == []
    assert [o.stage for o in outs] == ["fetch", "fetch", "fetch", "source"]
    # a host that did not answer is not asked again in this load: one timeout per host
    first, second = renderer(helm, tmp_path / "cache", workers=1).render_all(
        [release("c", repo="down"), release("e", chart="widgets", version="0.3.0", repo="down2")],
        sources + [helm_repository(closed + "/other", name="down2")],
        None,
        None,
    )
    assert "GET " + closed in first.error and "did not answer earlier in this load" in second.error
    # a chart archive that vanished after the index was written (a 404 on the .tgz)
    repo = copy_tree(world["repo"], tmp_path / "partial")
    (repo / "widgets-0.3.0.tgz").unlink()
    partial = ChartServer(repo)
    try:
        [out] = renderer(helm, tmp_path / "cache").render_all(
            [release("w", chart="widgets", version="0.3.0")], [helm_repository(partial.url)], None, None
        )
    finally:
        partial.stop()
    assert "widgets-0.3.0.tgz: HTTP 404" in out.error


def test_offline_renders_only_what_the_cache_holds(helm, world, tmp_path):
    srv = ChartServer(world["repo"])
    sources = [helm_repository(srv.url)]
    hr = release("bazarr", values=APP_VALUES)
    cache = tmp_path / "cache"
    try:
        [empty] = renderer(helm, cache, offline=True).render_all([hr], sources, None, None)
        assert empty.error.startswith("HelmRelease media/bazarr:") and "offline" in empty.error
        assert srv.requests == []  # offline never touches the network
        pulls = renderer(helm, cache).pull([hr, release("w", chart="widgets", version="0.3.0")], sources)
        assert [(p.chart, p.version, p.error, p.cached) for p in pulls] == [
            ("app", "1.1.0", "", False),
            ("widgets", "0.3.0", "", False),
        ]
        assert pulls[0].releases == ["media/bazarr"]
    finally:
        srv.stop()  # from here on no server answers: only the cache can serve
    [out] = renderer(helm, cache, offline=True).render_all([hr], sources, None, None)
    assert out.error == "" and out.cached and out.version == "1.1.0"  # the constraint resolved on the saved index
    assert "Deployment" in by_kind(out)
    # online with the server gone: an exact version in the cache needs no index and renders;
    # a constraint needs the repository's index, and the error says why it failed
    pinned, ranged = renderer(helm, cache).render_all(
        [release("w", chart="widgets", version="0.3.0"), release("bazarr", values=APP_VALUES)], sources, None, None
    )
    assert pinned.error == "" and pinned.cached
    assert ranged.error.startswith("HelmRelease media/bazarr:") and f"GET {srv.url}/index.yaml" in ranged.error


def test_chart_fetched_once_for_many_releases_and_renders_keyed_by_content(helm, world, tmp_path):
    srv = ChartServer(world["repo"])
    try:
        sources = [helm_repository(srv.url)]
        releases = [release(f"app{i}", values=APP_VALUES) for i in range(5)]
        releases.append(release("app0", values=APP_VALUES))  # the same release again (another cluster)
        r = renderer(helm, tmp_path / "cache", workers=3)
        outs = r.render_all(releases, sources, None, None)
        assert all(o.error == "" for o in outs)
        assert srv.count("/app-1.1.0.tgz") == 1 and srv.count("/index.yaml") == 1
        assert r.cache.fetches == 1
        assert r.helm_runs == 5 and [o.render_cached for o in outs].count(True) == 1
        assert outs[0].objects == outs[5].objects and outs[0].objects is not outs[5].objects
        # a new load: the chart comes from the disk cache (the index is read again)
        again = renderer(helm, tmp_path / "cache").render_all(releases[:2], sources, None, None)
        assert all(o.cached and o.error == "" for o in again)
        assert srv.count("/app-1.1.0.tgz") == 1 and srv.count("/index.yaml") == 2
    finally:
        srv.stop()


def test_helmchart_chartref_and_chart_values_files(helm, world, server, tmp_path):
    helmchart = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmChart",
        "metadata": {"name": "media-app", "namespace": "flux-system"},
        "spec": {
            "chart": "app",
            "version": "1.0.0",
            "valuesFiles": ["values.yaml", "values-small.yaml"],
            "sourceRef": {"kind": "HelmRepository", "name": "charts"},
        },
    }
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "small", "namespace": "media"},
        "spec": {"chartRef": {"kind": "HelmChart", "name": "media-app", "namespace": "flux-system"}},
    }
    [out] = renderer(helm, tmp_path / "cache").render_all([hr], [helm_repository(server.url), helmchart], None, None)
    assert out.error == "" and out.version == "1.0.0" and out.source_ref == "HelmChart/flux-system/media-app"
    assert by_kind(out)["Deployment"][0]["spec"]["replicas"] == 3  # from values-small.yaml


def test_git_repository_path_chart_through_the_resolver(helm, world, server, tmp_path):
    repo = tmp_path / "gitops"
    copy_tree(world["sources"]["app"], repo / "charts" / "app")
    copy_tree(world["sources"]["parent"], repo / "charts" / "parent")
    shutil.rmtree(repo / "charts" / "parent" / "charts", ignore_errors=True)  # dependencies not vendored
    copy_tree(world["sources"]["child"], repo / "charts" / "child")
    (repo / "charts" / "ops" / "templates").mkdir(parents=True)  # a dependency from an HTTP repository
    (repo / "charts" / "ops" / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: ops\nversion: 0.0.1\ndependencies:\n  - name: widgets\n    version: ~0.3\n"
        f"    repository: {server.url}\n"
    )
    git = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"url": "ssh://git@example/repo"},
    }
    asked = []

    def resolver(source_id, path):
        asked.append((source_id, path))
        folder = (repo / path).resolve()
        return folder if source_id == "GitRepository/flux-system/flux-system" and folder.is_dir() else None

    def git_release(name, path):
        return {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": "apps"},
            "spec": {
                "chart": {
                    "spec": {
                        "chart": path,
                        "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"},
                    }
                },
                "values": APP_VALUES,
            },
        }

    cache = tmp_path / "cache"
    outs = renderer(helm, cache).render_all(
        [
            git_release("local", "./charts/app"),
            git_release("deps", "./charts/parent"),
            git_release("gone", "./charts/nope"),
            git_release("ops", "charts/ops"),
        ],
        [git],
        None,
        resolver,
    )
    local, deps, gone, ops = outs
    assert (
        local.error == ""
        and local.chart == "app"
        and local.version == "1.0.0"
        and local.source == str(repo / "charts" / "app")
    )
    assert "Deployment" in by_kind(local)
    # file:// dependencies not vendored: built once into the chart cache, the repository untouched
    assert deps.error == "", deps.error
    assert any(t.startswith("parent/charts/child/") for _, t in deps.objects)
    assert not (repo / "charts" / "parent" / "charts").exists()
    assert "chart path './charts/nope' of GitRepository/flux-system/flux-system cannot be read" in gone.error
    assert ("GitRepository/flux-system/flux-system", "./charts/app") in asked
    assert ops.error == "" and ("Deployment", "ops/charts/widgets/templates/operator.yaml") in {
        (o["kind"], t) for o, t in ops.objects
    }
    # the next load finds the built dependencies in the cache: nothing fetched, also offline
    [again] = renderer(helm, cache, offline=True).render_all([git_release("ops", "charts/ops")], [git], None, resolver)
    assert again.error == "" and again.cached


def test_hostile_names_are_errors_never_flags_or_paths(helm, world, server, tmp_path):
    outs = renderer(helm, tmp_path / "cache").render_all(
        [
            release("a", values=APP_VALUES, releaseName="--dry-run=server"),
            release("b", chart="../../../etc/app"),
        ],
        [helm_repository(server.url)],
        None,
        None,
    )
    assert "helm template" in outs[0].error and "dry-run" in outs[0].error  # refused as a release name
    assert "invalid chart name '../../../etc/app'" in outs[1].error
    assert not (tmp_path / "etc").exists()


def test_private_repository_uses_credentials_from_helm_config_only(helm, world, tmp_path, monkeypatch):
    srv = ChartServer(world["repo"], basic_auth="kg-user:s3cret")
    try:
        sources = [helm_repository(srv.url)]
        hr = release("w", chart="widgets", version="0.3.0")
        [denied] = renderer(helm, tmp_path / "cache").render_all([hr], sources, None, None)
        assert "HTTP 401" in denied.error and "helm repo add --username" in denied.error
        config = tmp_path / "repositories.yaml"  # what `helm repo add --username` writes
        config.write_text(
            f"repositories:\n- name: private\n  url: {srv.url}\n  username: kg-user\n  password: s3cret\n"
        )
        monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(config))
        [out] = renderer(helm, tmp_path / "cache").render_all([hr], sources, None, None)
        assert out.error == "" and "Deployment" in by_kind(out)
        assert not any(b"s3cret" in p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    finally:
        srv.stop()


def test_no_helm_is_a_value(world, server, tmp_path):
    [out] = renderer(None, tmp_path / "cache").render_all(
        [release("x", values=APP_VALUES)], [helm_repository(server.url)], None, None
    )
    assert "no helm binary" in out.error and out.objects == []


def test_parallel_renders_share_one_chart_fetch_across_threads(helm, world, tmp_path):
    """Many threads asking for the same chart at once: one download."""
    from kg.loaders.charts import ChartCache, ChartSource

    srv = ChartServer(world["repo"])
    try:
        cache = ChartCache(tmp_path / "cache", helm)
        src = ChartSource("http", srv.url, "widgets", "0.3.0", source="HelmRepository/x/y")
        results, barrier = [], threading.Barrier(8)

        def ask():
            barrier.wait()
            results.append(cache.get(src).path)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(set(results)) == 1 and srv.count("/widgets-0.3.0.tgz") == 1 and cache.fetches == 1
    finally:
        srv.stop()


# --------------------------------------------------------------------------- OCI


@pytest.fixture(scope="module")
def registry(helm, world):
    binary = find_registry()
    if binary is None:
        helm_unavailable("no loopback OCI registry: no Go toolchain to build it (scripts/helm-local registry)")
    reg = OciRegistry(binary, world["root"] / "registry.log")
    try:
        for name in ("app-1.0.0.tgz", "app-1.1.0.tgz", "widgets-0.3.0.tgz"):
            helm_run(helm, "push", str(world["repo"] / name), f"oci://{reg.host}/charts", "--plain-http")
        yield reg
    finally:
        reg.stop()


def oci_repository(name: str, url: str, ref: dict, namespace: str = "flux-system") -> dict:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"url": url, "ref": ref, "insecure": True, "interval": "1h"},
    }


def chart_ref_release(name: str, source: str, namespace: str = "media", **spec) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"chartRef": {"kind": "OCIRepository", "name": source, "namespace": "flux-system"}, **spec},
    }


def test_oci_sources_tag_semver_digest_and_helmrepository(helm, world, registry, tmp_path):
    url = f"oci://{registry.host}/charts/app"
    oci_helm_repo = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": {"name": "oci-charts", "namespace": "flux-system"},
        "spec": {"type": "oci", "url": f"oci://{registry.host}/charts", "insecure": True},
    }
    sources = [
        oci_repository("app-tag", url, {"tag": "1.0.0"}),
        oci_repository("app-semver", url, {"semver": "^1.0"}),
        oci_helm_repo,
    ]
    cache = tmp_path / "cache"
    r = renderer(helm, cache)
    outs = r.render_all(
        [
            chart_ref_release("by-tag", "app-tag", values=APP_VALUES),
            chart_ref_release("by-semver", "app-semver", values=APP_VALUES),
            chart_ref_release("shared-tag", "app-tag", values=APP_VALUES),  # the same source: one pull
            release("by-helmrepo", chart="widgets", version="0.3.0", repo="oci-charts"),
        ],
        sources,
        None,
        None,
    )
    assert [o.error for o in outs] == ["", "", "", ""], [o.error for o in outs]
    by_tag, by_semver, _, widgets = outs
    assert (by_tag.chart, by_tag.version, by_tag.source) == ("app", "1.0.0", url)
    assert by_semver.version == "1.1.0" and by_tag.digest.startswith("sha256:") and by_tag.digest != by_semver.digest
    assert by_tag.source_ref == "OCIRepository/flux-system/app-tag"
    assert "Deployment" in by_kind(by_tag) and "CustomResourceDefinition" in by_kind(widgets)
    assert r.cache.fetches == 3
    # pinned by digest, then everything again offline with the registry stopped
    sources.append(oci_repository("app-digest", url, {"digest": by_tag.digest}))
    pinned = chart_ref_release("by-digest", "app-digest", values=APP_VALUES)
    [out] = renderer(helm, cache).render_all([pinned], sources, None, None)
    assert out.error == "" and out.cached and out.version == "1.0.0"
    registry.stop()
    offline = renderer(helm, cache, offline=True).render_all(
        [
            chart_ref_release("by-tag", "app-tag", values=APP_VALUES),
            chart_ref_release("by-semver", "app-semver", values=APP_VALUES),
            pinned,
            release("by-helmrepo", chart="widgets", version="0.3.0", repo="oci-charts"),
        ],
        sources,
        None,
        None,
    )
    assert [(o.error, o.version, o.cached) for o in offline] == [
        ("", "1.0.0", True),
        ("", "1.1.0", True),
        ("", "1.0.0", True),
        ("", "0.3.0", True),
    ]
