"""`kg diff` on the corpora: a copy with one app removed (its Flux Kustomization file, and
its entry in the kustomization listing it) reports that app's objects as removed, and
nothing else. The corpus is only read; the copy lives in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

# corpus -> (kustomization listing the app, the entry naming the app's Flux Kustomization file)
APPS = {
    "buroa__k8s-gitops": ("kubernetes/apps/default/kustomization.yaml", "./atuin/ks.yaml"),
    "joryirving__home-ops": ("kubernetes/apps/utility/flux-system/kustomization.yaml", "./headlamp.yaml"),
}


def remove_app(repo: Path, listing: str, entry: str) -> str:
    """Remove the app from the copy; returns its Flux Kustomization file (repo-relative)."""
    path = repo / listing
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != f"- {entry}"]
    assert len(kept) == len(lines) - 1, f"{entry} not listed once in {listing}"
    path.write_text("".join(kept))
    removed = (path.parent / entry).resolve()
    removed.unlink()
    return removed.relative_to(repo.resolve()).as_posix()


def descendants(graph, roots: set[str]) -> set[str]:
    """The roots and everything they apply (MANAGES, nested), with the Secrets their
    ExternalSecrets make (SYNCS) and their ConfigMaps' keys (HAS_KEY); their settings go with
    them (kg/diff/compare.py: _fold_settings)."""
    found, pending = set(roots), list(roots)
    while pending:
        node_id = pending.pop()
        for rel in graph.rels_from(node_id):
            if rel.type in ("MANAGES", "SYNCS", "HAS_KEY") and rel.end not in found:
                found.add(rel.end)
                pending.append(rel.end)
    return found


@pytest.mark.parametrize("name", sorted(APPS))
def test_one_app_removed_is_reported_removed_and_nothing_else(corpora, tmp_path, monkeypatch, name):
    from kg.loaders import load_repo

    source = corpora / name
    if not source.is_dir():
        pytest.skip(f"corpus {name} not found in {corpora}")
    copy = tmp_path / name
    shutil.copytree(source, copy, symlinks=True)
    app_file = remove_app(copy, *APPS[name])
    monkeypatch.setenv("KG_RENDER_CACHE", str(tmp_path / "render-cache"))  # the sides share builds
    result = CliRunner().invoke(
        app,
        ["diff", str(source), str(copy), "--repo-name", name, "--format", "json", "--graph", str(tmp_path / "graph")],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)

    base = load_repo(source, repo_name=name, render_cache=tmp_path / "render-cache").graph
    head = load_repo(copy, repo_name=name, render_cache=tmp_path / "render-cache").graph
    roots = {n.id for n in base.by_label("Kustomization") if n.props.get("source_file") == app_file}
    assert roots, f"no Kustomization defined in {app_file}"
    expected = {
        node_id
        for node_id in descendants(base, roots)
        if not base.nodes[node_id].props.get("missing") and node_id not in head.nodes
    }
    assert {c["action"] for c in report["changes"]} == {"removed"}, [
        (c["action"], c["id"], c["fields"]) for c in report["changes"] if c["action"] != "removed"
    ]
    assert {c["id"] for c in report["changes"]} == expected
    assert report["cycles"] == []
    # what the app made: its Kustomization and, through it, workloads or releases
    kinds = {c["kind"] for c in report["changes"]}
    assert "Kustomization" in kinds and kinds & {"HelmRelease", "Deployment", "StatefulSet"}
