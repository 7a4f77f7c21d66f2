"""kg renders in a workspace whose files are hard links to the repository's (issue 21:
no copy of the repository where nothing writes into it). Nothing a load does may write
through those links: the offline preparation (remote resources and generator files,
missing inputs), the Flux overlays kg writes into kustomization files, and a file kg adds
where the repository already has one. Every file of the repository must come out of a
load byte for byte and time for time as it went in, with no link left behind."""

import os
import shutil
from pathlib import Path

from kg.loaders import load_repo
from kg.loaders.kustomize import Workspace

PLACEHOLDER = ".kg-offline/https___example.com_settings.env"


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_nlink)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _hostile_copy(example_repo: Path, tmp_path: Path) -> Path:
    """The example, with a kustomization that the offline preparation must rewrite, and a
    file where kg would put its placeholder for a remote generator file."""
    repo = tmp_path / "platform"
    shutil.copytree(example_repo, repo)
    app = repo / "apps" / "backend-services"
    kfile = app / "kustomization.yaml"
    kfile.write_text(
        kfile.read_text()
        + "  - name: remote-settings\n    files:\n      - https://example.com/settings.env\n"
        + "  - name: missing-settings\n    envs:\n      - missing.env\n"
    )
    (app / PLACEHOLDER).parent.mkdir()
    (app / PLACEHOLDER).write_text("the repository's own file\n")
    return repo


def test_a_load_never_writes_into_the_repository_it_links(example_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    repo = _hostile_copy(example_repo, tmp_path)
    before = _snapshot(repo)
    result = load_repo(repo, charts=False)
    reasons = [w.reason for w in result.warnings]
    assert any("remote file https://example.com/settings.env not fetched" in r for r in reasons)
    assert any("input missing.env is missing" in r for r in reasons)
    assert _snapshot(repo) == before
    assert all(nlink == 1 for _, _, nlink in before.values())


def test_workspace_files_are_links_except_kustomization_files(example_repo, tmp_path):
    repo = _hostile_copy(example_repo, tmp_path)
    with Workspace(repo, workers=2) as workspace:
        tree = workspace._copies[0] / "repo"
        papi = repo / "apps" / "backend-services" / "papi-deployment.yaml"
        assert os.path.samefile(papi, tree / "apps" / "backend-services" / "papi-deployment.yaml")
        linked_kfile = tree / "apps" / "backend-services" / "kustomization.yaml"
        assert not os.path.samefile(repo / "apps" / "backend-services" / "kustomization.yaml", linked_kfile)
        placeholder = tree / "apps" / "backend-services" / PLACEHOLDER
        assert placeholder.read_text() == ""  # kg's placeholder, in place of the repository's file
        assert not os.path.samefile(repo / "apps" / "backend-services" / PLACEHOLDER, placeholder)
    assert (repo / "apps" / "backend-services" / PLACEHOLDER).read_text() == "the repository's own file\n"
