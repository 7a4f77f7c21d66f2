"""Messy real-world input never aborts a load: each problem is a warning naming the
file (and line where known), and the rest of the repository loads."""

from pathlib import Path

import pytest
import yaml

from kg.loaders import load_repo

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n  namespace: apps\ndata:\n  KEY: value\n"


def make_repo(root: Path, files: dict[str, str], post_build: dict | None = None) -> Path:
    """A one-cluster Flux repo: clusters/test syncs ./clusters/test, whose Kustomization
    `apps` builds ./apps (with `files` written under the repo)."""
    sync = [
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"url": "https://example.com/repo.git", "ref": {"branch": "main"}, "interval": "1m"},
        },
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {
                "path": "./clusters/test",
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                "interval": "10m",
                "prune": True,
            },
        },
    ]
    apps = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system"},
        "spec": {
            "path": "./apps",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "interval": "10m",
            "prune": True,
        },
    }
    if post_build is not None:
        apps["spec"]["postBuild"] = post_build
    written = {
        "clusters/test/flux-system/gotk-sync.yaml": yaml.safe_dump_all(sync),
        "clusters/test/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        "clusters/test/apps.yaml": yaml.safe_dump(apps),
        "apps/good.yaml": GOOD,
        **files,
    }
    for rel, text in written.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def configmap(result, name):
    return result.graph.nodes.get(f"{result.repo}:test/ConfigMap/apps/{name}")


def warnings_for(result, file):
    return [w for w in result.warnings if w.file == file]


def assert_rest_loads(result):
    assert [c.name for c in result.clusters] == ["test"]
    assert configmap(result, "good") is not None


def test_redefined_anchor_uses_the_latest_definition(tmp_path):
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: anchors, namespace: apps}\ndata:\n  a: &v first\n  b: &v second\n  c: *v\n"
    result = load_repo(make_repo(tmp_path, {"apps/anchors.yaml": doc}))
    assert_rest_loads(result)
    key = result.graph.nodes[f"{result.repo}:test/ConfigKey/apps/anchors/c"]
    assert key.props["value"] == "second"


def test_bare_equals_scalar_is_a_value(tmp_path):
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: eq, namespace: apps}\ndata:\n  op: =\n"
    result = load_repo(make_repo(tmp_path, {"apps/eq.yaml": doc}))
    assert_rest_loads(result)
    assert result.graph.nodes[f"{result.repo}:test/ConfigKey/apps/eq/op"].props["value"] == "="


def test_custom_tag_file_is_reported_not_fatal(tmp_path):
    # Home Assistant style config in the Flux path: not Kubernetes YAML
    result = load_repo(make_repo(tmp_path, {"apps/configuration.yaml": "homeassistant:\n  name: !env_var HA_NAME\n"}))
    assert_rest_loads(result)
    reasons = [w.reason for w in warnings_for(result, "apps/configuration.yaml")]
    assert any("left out of the generated kustomization" in r for r in reasons)


def test_comment_only_and_empty_documents_are_ignored(tmp_path):
    result = load_repo(make_repo(tmp_path, {"apps/notes.yaml": "# nothing here\n---\n---\n# still nothing\n"}))
    assert_rest_loads(result)
    assert warnings_for(result, "apps/notes.yaml") == []


def test_sops_metadata_only_document_is_a_warning(tmp_path):
    doc = GOOD.replace("good", "other") + "---\nsops:\n  version: 3.7.3\n  pgp: []\n"
    result = load_repo(make_repo(tmp_path, {"apps/secret.sops.yaml": doc}))
    assert_rest_loads(result)
    (w,) = [w for w in warnings_for(result, "apps/secret.sops.yaml") if "SOPS" in w.reason]
    assert w.line == 9


def test_top_level_list_patch_file_is_reported(tmp_path):
    patch = "- op: replace\n  path: /spec/replicas\n  value: 2\n"
    result = load_repo(make_repo(tmp_path, {"apps/patches/replicas.yaml": patch}))
    assert_rest_loads(result)
    reasons = [w.reason for w in warnings_for(result, "apps/patches/replicas.yaml")]
    assert any("YAML list" in r for r in reasons)


def test_variable_in_integer_position_is_substituted(tmp_path):
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n"
        "spec:\n  replicas: ${REPLICAS}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: web, image: 'nginx:${TAG:=1.27}'}]\n"
    )
    result = load_repo(make_repo(tmp_path, {"apps/web.yaml": deploy}, post_build={"substitute": {"REPLICAS": "3"}}))
    assert_rest_loads(result)
    web = result.graph.nodes[f"{result.repo}:test/Deployment/apps/web"]
    assert web.props["replicas"] == 3
    assert web.props["images"] == ["nginx:1.27"]


def test_non_kubernetes_yaml_is_left_out_with_a_warning(tmp_path):
    files = {
        "apps/docker-compose.yaml": "services:\n  web:\n    image: nginx\n",
        "apps/talos/controlplane.yaml": "version: v1alpha1\nmachine:\n  type: controlplane\n",
        "apps/.yamllint.yaml": "extends: default\nrules: {line-length: disable}\n",
    }
    result = load_repo(make_repo(tmp_path, files))
    assert_rest_loads(result)
    for rel in files:
        assert warnings_for(result, rel), rel


def test_multi_megabyte_file_loads(tmp_path):
    big = "x" * (3 * 1024 * 1024)
    doc = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: apps}}\ndata:\n  blob: {big}\n"
    result = load_repo(make_repo(tmp_path, {"apps/big.yaml": doc}))
    assert_rest_loads(result)
    value = result.graph.nodes[f"{result.repo}:test/ConfigKey/apps/big/blob"].props["value"]
    assert value.startswith("xxxx") and len(value) < 5000  # stored clipped


@pytest.mark.parametrize(
    "resource, expected",
    [
        (
            "https://raw.githubusercontent.com/example/repo/main/crd.yaml",
            "remote resource https://raw.githubusercontent.com/example/repo/main/crd.yaml not fetched",
        ),
        ("github.com/example/repo//config?ref=v1", "not fetched"),
    ],
)
def test_remote_resource_is_reported_and_the_rest_renders(tmp_path, resource, expected):
    files = {"apps/kustomization.yaml": yaml.safe_dump({"resources": ["good.yaml", resource]})}
    result = load_repo(make_repo(tmp_path, files))
    assert_rest_loads(result)
    assert any(expected in w.reason for w in warnings_for(result, "apps/kustomization.yaml"))


def test_missing_file_fails_only_its_kustomization(tmp_path):
    files = {
        "apps/kustomization.yaml": yaml.safe_dump({"resources": ["good.yaml", "missing.yaml"]}),
        "clusters/test/other.yaml": yaml.safe_dump(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "other", "namespace": "flux-system"},
                "spec": {
                    "path": "./other",
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                    "interval": "1m",
                    "prune": True,
                },
            }
        ),
        "other/cm.yaml": GOOD.replace("good", "still-here"),
    }
    result = load_repo(make_repo(tmp_path, files))
    apps = result.graph.nodes[f"{result.repo}:test/Kustomization/flux-system/apps"]
    assert "missing.yaml" in apps.props["render_error"]
    assert configmap(result, "still-here") is not None
    assert any("missing.yaml" in w.reason and w.file == "clusters/test/apps.yaml" for w in result.warnings)


def test_go_template_in_a_value(tmp_path):
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl, namespace: apps}\ndata:\n  a: ok\n  b: {{ .Values.x }}\n"
    quoted = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: quoted, namespace: apps}\ndata:\n  b: '{{ .Values.x }}'\n"
    )
    result = load_repo(make_repo(tmp_path, {"apps/tpl.yaml": broken, "apps/quoted.yaml": quoted}))
    assert_rest_loads(result)
    (w,) = [w for w in warnings_for(result, "apps/tpl.yaml") if w.line]
    assert w.line == 6
    assert result.graph.nodes[f"{result.repo}:test/ConfigKey/apps/quoted/b"].props["value"] == "{{ .Values.x }}"


def test_flux_path_outside_the_repository_is_refused(tmp_path):
    files = {
        "clusters/test/evil.yaml": yaml.safe_dump(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "evil", "namespace": "flux-system"},
                "spec": {
                    "path": "../../etc",
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                    "interval": "1m",
                },
            }
        )
    }
    result = load_repo(make_repo(tmp_path, files))
    assert_rest_loads(result)
    evil = result.graph.nodes[f"{result.repo}:test/Kustomization/flux-system/evil"]
    assert "outside" in evil.props["render_error"]


def test_symlink_out_of_the_repository_is_not_read(tmp_path):
    secret_file = tmp_path / "outside.yaml"
    secret_file.write_text(GOOD.replace("good", "stolen"))
    repo = make_repo(tmp_path / "repo", {})
    (repo / "apps" / "link.yaml").symlink_to(secret_file)
    result = load_repo(repo)
    assert_rest_loads(result)
    assert configmap(result, "stolen") is None
    assert any("symbolic link" in w.reason for w in warnings_for(result, "apps/link.yaml"))
