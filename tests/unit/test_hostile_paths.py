"""Paths out of the repository are refused with a warning and never read (issue 7,
point 3): kustomization entries (`../../..`, absolute), generator inputs, Flux
paths and components, symbolic links to files and folders, discovery, --cluster.

Every test puts a recognisable ConfigMap (or env file) OUTSIDE the repository and
checks that it never reaches the graph, whichever way the repository points at it."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_messy_input import GOOD, assert_rest_loads, make_repo  # noqa: E402

from kg.loaders import LoadError, load_repo  # noqa: E402

UP = "../" * 30  # from any workspace depth, far past the filesystem root


@pytest.fixture
def outside(tmp_path):
    """A folder outside the repository holding files a hostile repo would like read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "stolen.yaml").write_text(GOOD.replace("name: good", "name: stolen"))
    (folder / "stolen.env").write_text("STOLEN_KEY=stolen-value-123\n")
    (folder / "patch.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good, namespace: apps}\ndata: {PATCHED: stolen-value-123}\n"
    )
    (folder / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [stolen.yaml]\n"
    )
    (folder / "gotk-sync.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "source.toolkit.fluxcd.io/v1",
                    "kind": "GitRepository",
                    "metadata": {"name": "flux-system", "namespace": "flux-system"},
                    "spec": {"url": "https://example.com/evil.git", "ref": {"branch": "main"}},
                },
                {
                    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                    "kind": "Kustomization",
                    "metadata": {"name": "flux-system", "namespace": "flux-system"},
                    "spec": {"path": "./clusters/evil", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
                },
            ]
        )
    )
    return folder


def leaked(result) -> bool:
    text = repr([n.props for n in result.graph.nodes.values()])
    return "stolen" in text


def refusals(result, file):
    return [w for w in result.warnings if w.file == file and "outside the repository" in w.reason]


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_kustomization_resource_outside_is_refused(tmp_path, outside, how):
    target = f"{UP}{outside.as_posix().lstrip('/')}/stolen.yaml" if how == "relative" else str(outside / "stolen.yaml")
    repo = make_repo(
        tmp_path / "repo", {"apps/kustomization.yaml": yaml.safe_dump({"resources": ["good.yaml", target]})}
    )
    result = load_repo(repo)
    assert_rest_loads(result)
    assert not leaked(result)
    assert refusals(result, "apps/kustomization.yaml")


def test_etc_passwd_is_never_read(tmp_path):
    repo = make_repo(
        tmp_path / "repo", {"apps/kustomization.yaml": yaml.safe_dump({"resources": ["good.yaml", f"{UP}etc/passwd"]})}
    )
    result = load_repo(repo)
    assert_rest_loads(result)
    (w,) = refusals(result, "apps/kustomization.yaml")
    assert "etc/passwd" in w.reason and "root:" not in str(result.warnings)


def test_generator_inputs_outside_are_refused(tmp_path, outside):
    kustomization = {
        "resources": ["good.yaml"],
        "configMapGenerator": [
            {
                "name": "gen-files",
                "namespace": "apps",
                "files": [f"key={outside}/stolen.env", f"{UP}{outside.as_posix().lstrip('/')}/stolen.yaml"],
            },
            {"name": "gen-env", "namespace": "apps", "envs": [str(outside / "other.env")]},
        ],
        "secretGenerator": [{"name": "sec", "namespace": "apps", "env": str(outside / "stolen.env")}],
    }
    repo = make_repo(tmp_path / "repo", {"apps/kustomization.yaml": yaml.safe_dump(kustomization)})
    result = load_repo(repo)
    assert_rest_loads(result)
    assert not leaked(result)
    assert len(refusals(result, "apps/kustomization.yaml")) == 4


def test_patches_outside_are_refused(tmp_path, outside):
    kustomization = {
        "resources": ["good.yaml"],
        "patches": [{"path": str(outside / "patch.yaml")}],
        "patchesStrategicMerge": [f"{UP}{outside.as_posix().lstrip('/')}/patch.yaml"],
    }
    repo = make_repo(tmp_path / "repo", {"apps/kustomization.yaml": yaml.safe_dump(kustomization)})
    result = load_repo(repo)
    assert_rest_loads(result)
    assert not leaked(result)
    assert len(refusals(result, "apps/kustomization.yaml")) == 2


def test_nested_kustomization_outside_is_refused(tmp_path, outside):
    files = {
        "apps/kustomization.yaml": yaml.safe_dump({"resources": ["good.yaml", "sub"]}),
        "apps/sub/kustomization.yaml": yaml.safe_dump({"resources": [str(outside / "stolen.yaml")]}),
    }
    result = load_repo(make_repo(tmp_path / "repo", files))
    assert_rest_loads(result)
    assert not leaked(result)
    assert refusals(result, "apps/sub/kustomization.yaml")


def test_flux_components_outside_are_refused(tmp_path, outside):
    evil = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "evil", "namespace": "flux-system"},
        "spec": {
            "path": "./apps",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "targetNamespace": "evil",
            "components": [f"{UP}{outside.as_posix().lstrip('/')}", str(outside)],
        },
    }
    result = load_repo(make_repo(tmp_path / "repo", {"clusters/test/evil.yaml": yaml.safe_dump(evil)}))
    assert_rest_loads(result)
    assert not leaked(result)
    assert len([w for w in result.warnings if "outside the repository" in w.reason and w.file == "apps"]) == 2
    # the rest of the Kustomization still renders
    assert f"{result.repo}:test/ConfigMap/evil/good" in result.graph.nodes


def test_symlinked_folder_out_of_the_repository_is_not_followed(tmp_path, outside):
    repo = make_repo(tmp_path / "repo", {})
    (repo / "apps" / "linked").symlink_to(outside, target_is_directory=True)
    result = load_repo(repo)
    assert_rest_loads(result)
    assert not leaked(result)
    assert any("symbolic link" in w.reason for w in result.warnings if w.file == "apps/linked")


def test_symlinked_flux_path_out_of_the_repository_is_not_read(tmp_path, outside):
    repo = make_repo(
        tmp_path / "repo",
        {
            "clusters/test/evil.yaml": yaml.safe_dump(
                {
                    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                    "kind": "Kustomization",
                    "metadata": {"name": "evil", "namespace": "flux-system"},
                    "spec": {"path": "./linked", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
                }
            )
        },
    )
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    result = load_repo(repo)
    assert_rest_loads(result)
    assert not leaked(result)
    assert "not found" in result.graph.nodes[f"{result.repo}:test/Kustomization/flux-system/evil"].props["render_error"]


def test_discovery_does_not_read_links_out_of_the_repository(tmp_path, outside):
    repo = make_repo(tmp_path / "repo", {})
    (repo / "clusters" / "evil").mkdir()
    (repo / "clusters" / "evil" / "gotk-sync.yaml").symlink_to(outside / "gotk-sync.yaml")
    (repo / "clusters" / "linked").symlink_to(outside, target_is_directory=True)
    result = load_repo(repo)
    assert [c.name for c in result.clusters] == ["test"]
    assert not leaked(result)
    with pytest.raises(LoadError):
        load_repo(repo, clusters=["clusters/linked"])


def test_sourceignore_link_out_of_the_repository_is_not_read(tmp_path, outside):
    (outside / "ignore").write_text("*.yaml\n")  # would hide everything if it were read
    repo = make_repo(tmp_path / "repo", {})
    (repo / "apps" / ".sourceignore").symlink_to(outside / "ignore")
    assert_rest_loads(load_repo(repo))
