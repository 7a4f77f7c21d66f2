"""Building Flux Kustomization paths with the real kustomize, Flux's way."""

from pathlib import Path

import pytest
import yaml

from kg.loaders.kustomize import WorkingCopy, find_kustomization_file, kustomize_command

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"


def _write(root: Path, rel: str, content: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def test_every_example_kustomization_builds_with_kustomize():
    import subprocess

    dirs = sorted({p.parent for p in EXAMPLE.rglob("kustomization.yaml")})
    assert len(dirs) >= 10
    for directory in dirs:
        proc = subprocess.run(kustomize_command() + [str(directory)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{directory}: {proc.stderr}"


def test_generated_kustomization_follows_flux_rules(tmp_path):
    # a folder without kustomization.yaml: YAML files are included, a subfolder with
    # its own kustomization becomes one resource and is not descended into
    _write(tmp_path, "apps/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    _write(tmp_path, "apps/nested/deep.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n")
    _write(tmp_path, "apps/sub/kustomization.yaml", "resources: [b.yaml]\n")
    _write(tmp_path, "apps/sub/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    _write(tmp_path, "apps/sub/ignored.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n")
    _write(tmp_path, "apps/notes.txt", "not yaml")
    _write(tmp_path, "apps/lint.yaml", "rules: {line-length: disable}\n")
    with WorkingCopy(tmp_path) as wc:
        result = wc.build("apps", {})
    assert result.error == ""
    names = sorted(obj["metadata"]["name"] for obj, _, _ in result.objects)
    assert names == ["a", "b", "deep"]
    assert any("lint.yaml" in w.file for w in result.warnings)
    # the user's checkout is untouched
    assert find_kustomization_file(tmp_path / "apps") is None


def test_flux_spec_is_applied_and_origin_recorded(tmp_path):
    _write(tmp_path, "app/kustomization.yaml", "resources: [deploy.yaml]\n")
    _write(
        tmp_path,
        "app/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: nginx:1.0}]\n",
    )
    spec = {
        "targetNamespace": "prod",
        "namePrefix": "p-",
        "images": [{"name": "nginx", "newTag": "2.0"}],
        "patches": [{"target": {"kind": "Deployment"}, "patch": "- op: add\n  path: /spec/replicas\n  value: 3\n"}],
    }
    original = (tmp_path / "app/kustomization.yaml").read_text()
    with WorkingCopy(tmp_path) as wc:
        result = wc.build("app", spec)
    assert result.error == ""
    (obj, source_file, generator), = result.objects
    assert obj["metadata"]["name"] == "p-web"
    assert obj["metadata"]["namespace"] == "prod"
    assert obj["spec"]["replicas"] == 3
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2.0"
    assert source_file == "app/deploy.yaml"
    assert "annotations" not in obj["metadata"]  # our origin annotation is removed
    assert (tmp_path / "app/kustomization.yaml").read_text() == original


def test_generated_configmap_points_at_its_kustomization(tmp_path):
    _write(tmp_path, "cfg/kustomization.yaml", yaml.safe_dump({"configMapGenerator": [{"name": "env", "literals": ["A=1"]}]}))
    with WorkingCopy(tmp_path) as wc:
        result = wc.build("cfg", {})
    (obj, source_file, generator), = result.objects
    assert obj["metadata"]["name"].startswith("env-")
    assert source_file == "cfg/kustomization.yaml"
    assert generator == "ConfigMapGenerator"


def test_missing_path_is_an_error_not_a_crash(tmp_path):
    with WorkingCopy(tmp_path) as wc:
        result = wc.build("nope", {})
    assert "path not found" in result.error


@pytest.mark.parametrize("bad", ["resources: [missing.yaml]\n", "resources: [https://example.invalid/x.yaml]\n"])
def test_failing_build_reports_kustomize_error(tmp_path, bad):
    _write(tmp_path, "x/kustomization.yaml", bad)
    with WorkingCopy(tmp_path) as wc:
        result = wc.build("x", {})
    assert result.error and result.objects == []
