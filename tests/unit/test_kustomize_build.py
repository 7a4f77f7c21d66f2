"""Building Flux Kustomization paths with the real kustomize, Flux's way."""

from pathlib import Path

import yaml

from kg.loaders.kustomize import REPO_TREE, Workspace, find_kustomization_file, kustomize_command

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
    with Workspace(tmp_path) as ws:
        result = ws.build(REPO_TREE, "apps", {})
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
    with Workspace(tmp_path) as ws:
        result = ws.build(REPO_TREE, "app", spec)
    assert result.error == ""
    ((obj, source_file, generator),) = result.objects
    assert obj["metadata"]["name"] == "p-web"
    assert obj["metadata"]["namespace"] == "prod"
    assert obj["spec"]["replicas"] == 3
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2.0"
    assert source_file == "app/deploy.yaml"
    assert "annotations" not in obj["metadata"]  # our origin annotation is removed
    assert (tmp_path / "app/kustomization.yaml").read_text() == original


def test_generated_configmap_points_at_its_kustomization(tmp_path):
    _write(
        tmp_path,
        "cfg/kustomization.yaml",
        yaml.safe_dump({"configMapGenerator": [{"name": "env", "literals": ["A=1"]}]}),
    )
    with Workspace(tmp_path) as ws:
        result = ws.build(REPO_TREE, "cfg", {})
    ((obj, source_file, generator),) = result.objects
    assert obj["metadata"]["name"].startswith("env-")
    assert source_file == "cfg/kustomization.yaml"
    assert generator == "ConfigMapGenerator"


def test_missing_path_is_an_error_not_a_crash(tmp_path):
    with Workspace(tmp_path) as ws:
        result = ws.build(REPO_TREE, "nope", {})
    assert "path not found" in result.error


def test_failing_build_reports_kustomize_error(tmp_path):
    _write(tmp_path, "x/kustomization.yaml", "resources: [missing.yaml]\n")
    with Workspace(tmp_path) as ws:
        result = ws.build(REPO_TREE, "x", {})
    assert result.objects == []
    assert "missing.yaml" in result.error
    assert "\n" not in result.error and str(tmp_path) not in result.error


def test_source_ignore_rules_like_source_controller(tmp_path):
    """Flux's default exclusions, .sourceignore files (scoped to their folder) and the
    GitRepository's spec.ignore decide what a build can see."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"
    _write(tmp_path, "apps/a.yaml", cm % "a")
    _write(tmp_path, "apps/skip-me.yaml", cm % "skipped-by-sourceignore")
    _write(tmp_path, "apps/.sourceignore", "skip-me.yaml\n")
    _write(tmp_path, "apps/drop/b.yaml", cm % "dropped-by-spec-ignore")
    _write(tmp_path, "apps/.github/c.yaml", cm % "dropped-by-default")
    with Workspace(tmp_path, ignore="/apps/drop/\n") as ws:
        result = ws.build(REPO_TREE, "apps", {})
    assert sorted(obj["metadata"]["name"] for obj, _, _ in result.objects) == ["a"]


def test_two_builds_of_the_same_path_and_overlay_run_once(tmp_path):
    _write(tmp_path, "app/kustomization.yaml", "resources: [cm.yaml]\n")
    _write(tmp_path, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    with Workspace(tmp_path, workers=2) as ws:
        first = ws.build(REPO_TREE, "app", {"interval": "1m"})
        second = ws.build(REPO_TREE, "app", {"interval": "5m"})  # interval does not change the output
        third = ws.build(REPO_TREE, "app", {"targetNamespace": "x"})
    assert first is second
    assert third is not first and third.objects[0][0]["metadata"]["namespace"] == "x"


def test_artifact_copy_rules():
    from kg.loaders.artifacts import artifact_tree

    files = [
        "apps/base/podinfo/kustomization.yaml",
        "apps/base/podinfo/release.yaml",
        "apps/production/kustomization.yaml",
        "apps/staging/kustomization.yaml",
        "infrastructure/configs/issuer.yaml",
        "infrastructure/controllers/kustomization.yaml",
        "infrastructure/README.md",
    ]
    apps, problems = artifact_tree(
        "EA/apps",
        {
            "copy": [
                {"from": "@monorepo/apps/base/**", "to": "@artifact/base/"},
                {"from": "@monorepo/apps/production/**", "to": "@artifact/production/"},
            ]
        },
        {"monorepo": ""},
        files,
    )
    assert problems == []
    assert apps.files == {
        "base/podinfo/kustomization.yaml": "apps/base/podinfo/kustomization.yaml",
        "base/podinfo/release.yaml": "apps/base/podinfo/release.yaml",
        "production/kustomization.yaml": "apps/production/kustomization.yaml",
    }
    assert apps.repo_path("production") == "apps/production"
    infra, _ = artifact_tree(
        "EA/infra",
        {
            "copy": [
                {"from": "@monorepo/infrastructure/**", "to": "@artifact/", "exclude": ["**/*.md"]},
                {"from": "@monorepo/apps/staging/kustomization.yaml", "to": "@artifact/extra/"},
            ]
        },
        {"monorepo": ""},
        files,
    )
    assert "README.md" not in infra.files
    assert infra.files["configs/issuer.yaml"] == "infrastructure/configs/issuer.yaml"
    assert infra.files["extra/kustomization.yaml"] == "apps/staging/kustomization.yaml"
    assert infra.repo_path("configs") == "infrastructure/configs"
    _, problems = artifact_tree("EA/x", {"copy": [{"from": "@other/x/**", "to": "@artifact/"}]}, {"other": None}, files)
    assert problems == ["source @other is not this repository"]


def test_worker_copies_share_files_but_a_build_never_changes_another_copy(tmp_path):
    # the second worker copy is hard links to the first (no data copied); a build writes
    # the Flux overlay into its copy's kustomization.yaml as a new file, so the other copy
    # (where another build may be running) keeps the repository's text throughout
    original = "resources: [a.yaml]\n"
    _write(tmp_path, "apps/kustomization.yaml", original)
    _write(tmp_path, "apps/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    with Workspace(tmp_path, workers=2) as ws:
        copies = [copy / REPO_TREE / "apps" / "kustomization.yaml" for copy in ws._copies]
        assert copies[0].stat().st_ino == copies[1].stat().st_ino
        seen = []
        run = ws._run

        def run_and_look(copy, *args):
            built = next(c for c in copies if c.is_relative_to(copy))
            other = next(c for c in copies if not c.is_relative_to(copy))
            seen.append((built.read_text(), other.read_text()))
            return run(copy, *args)

        ws._run = run_and_look
        result = ws.build(REPO_TREE, "apps", {"namePrefix": "p-"})
        assert result.error == "" and [o["metadata"]["name"] for o, _, _ in result.objects] == ["p-a"]
        (building, other_copy) = seen[0]
        assert "namePrefix: p-" in building
        assert other_copy == original
        assert [c.read_text() for c in copies] == [original, original]
    assert (tmp_path / "apps" / "kustomization.yaml").read_text() == original


def test_kustomize_runs_with_the_go_collector_off_unless_the_user_set_it(tmp_path, monkeypatch):
    from kg.loaders.kustomize import go_env

    assert go_env(2048, {"PATH": "/bin"}) == {"PATH": "/bin", "GOGC": "off", "GOMEMLIMIT": "128MiB"}
    assert go_env(200, {})["GOMEMLIMIT"] == "100MiB"  # half a lower memory limit
    assert go_env(None, {})["GOMEMLIMIT"] == "128MiB"
    assert go_env(2048, {"GOGC": "50"}) == {"GOGC": "50"}  # the user's setting is kept
    # what a build's kustomize sees
    real = " ".join(kustomize_command())
    seen = tmp_path / "env"
    fake = tmp_path / "kustomize-env"
    fake.write_text(f'#!/bin/sh\necho "$GOGC $GOMEMLIMIT" > {seen}\nexec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("KG_KUSTOMIZE", str(fake))
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    _write(tmp_path, "repo/app/kustomization.yaml", "resources: [cm.yaml]\n")
    _write(tmp_path, "repo/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    with Workspace(tmp_path / "repo") as ws:
        result = ws.build(REPO_TREE, "app", {})
    assert result.error == "" and [o["metadata"]["name"] for o, _, _ in result.objects] == ["a"]
    assert seen.read_text().split() == ["off", "128MiB"]
