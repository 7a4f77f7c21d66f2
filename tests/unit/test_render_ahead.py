"""Builds run ahead of the walk (loaders/render.py): the walk renders exactly what it
renders level by level, in the same order, and builds each path (with its overlay) once."""

from pathlib import Path
from typing import Any

import pytest

from kg.loaders.discover import ClusterEntry
from kg.loaders.kustomize import REPO_TREE, Workspace
from kg.loaders.limits import BuildLimits
from kg.loaders.render import ClusterRenderer

_REAL_RUN = Workspace._run
SOURCE = {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}


def _ks(name: str, path: str, **spec: Any) -> str:
    import yaml

    body = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {"path": path, "sourceRef": SOURCE, "interval": "1h", **spec},
    }
    return "---\n" + yaml.safe_dump(body, sort_keys=False)


def _cm(name: str, **data: str) -> str:
    lines = "".join(f"  {k}: {v}\n" for k, v in data.items())
    return f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: flux-system\ndata:\n{lines}"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _repo(root: Path, depth: int = 6, width: int = 3) -> ClusterEntry:
    """A tree `depth` levels deep, `width` Kustomizations wide at each level, every one
    substituting from a ConfigMap its parent renders; plus `late`, whose child's path
    comes from a ConfigMap a later sibling renders (the guess made ahead is wrong)."""
    sub = {"postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]}}
    root_files = [
        _cm("vars", SUFFIX="x"),
        _ks(
            "late",
            "./late",
            postBuild={"substituteFrom": [{"kind": "ConfigMap", "name": "late-vars", "optional": True}]},
        ),
        _ks("z-provider", "./provider"),
    ]
    for i in range(width):
        root_files.append(_ks(f"t{i}-1", f"./tree/t{i}/1", **sub))
        for level in range(1, depth):
            here = f"tree/t{i}/{level}"
            _write(root, f"{here}/ks.yaml", _ks(f"t{i}-{level + 1}-${{SUFFIX}}", f"./tree/t{i}/{level + 1}", **sub))
            _write(root, f"{here}/cm.yaml", _cm(f"cm-t{i}-{level}", LEVEL=str(level)))
        _write(root, f"tree/t{i}/{depth}/cm.yaml", _cm(f"cm-t{i}-{depth}", LEVEL=str(depth)))
    _write(root, "root/all.yaml", "".join(root_files))
    _write(root, "late/ks.yaml", _ks("late-child", "./late/${DIR:=wrong}"))
    _write(root, "late/right/cm.yaml", _cm("right"))
    _write(root, "late/wrong/cm.yaml", _cm("wrong"))
    _write(root, "provider/cm.yaml", _cm("late-vars", DIR="right"))
    _write(root, "provider/vars.yaml", _cm("vars", SUFFIX="y"))  # a second `vars`: the first rendered wins
    root_ks = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"path": "./root", "sourceRef": SOURCE},
    }
    repo = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"url": "https://example.invalid/repo"},
    }
    return ClusterEntry(name="c", root_file="root/all.yaml", kustomization=root_ks, git_repository=repo)


def _render(root: Path, entry: ClusterEntry, run_ahead: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    built: list[str] = []

    def counting(self: Workspace, copy: Path, tree: Any, directory: Path, rel_dir: str, warnings: list[Any]) -> Any:
        built.append(rel_dir)
        return _REAL_RUN(self, copy, tree, directory, rel_dir, warnings)

    monkeypatch.setattr(Workspace, "_run", counting)
    with Workspace(root, workers=2) as workspace:
        result = ClusterRenderer(entry, workspace, run_ahead=run_ahead).render()
    return result, built


def _fingerprint(result: Any) -> Any:
    return (
        [
            (
                key,
                ks.parent,
                ks.source_dir,
                ks.render_error,
                [(o.obj, o.raw, o.source_file, o.unresolved_vars, o.variables) for o in ks.objects],
                ks.unresolved_vars,
                ks.variables_used,
            )
            for key, ks in result.kustomizations.items()
        ],
        [str(w) for w in result.warnings if "Kustomization tree" not in w.reason],
        result.variable_sources,
        result.source_roots,
    )


def test_a_deep_tree_renders_the_same_with_builds_run_ahead(tmp_path, monkeypatch):
    entry = _repo(tmp_path)
    level_by_level, _ = _render(tmp_path, entry, False, monkeypatch)
    ahead, _ = _render(tmp_path, entry, True, monkeypatch)
    again, _ = _render(tmp_path, entry, True, monkeypatch)
    assert _fingerprint(ahead) == _fingerprint(level_by_level) == _fingerprint(again)
    # the walk order: level by level, each level in the order its parents rendered it
    keys = list(ahead.kustomizations)
    assert keys == ["flux-system/flux-system", "flux-system/late"] + [f"flux-system/t{i}-1" for i in range(3)] + [
        "flux-system/z-provider",
        "flux-system/late-child",
    ] + [f"flux-system/t{i}-{level}-x" for level in range(2, 7) for i in range(3)]
    # a child substituted from a ConfigMap rendered by a later sibling: the walk's answer
    late = ahead.kustomizations["flux-system/late-child"]
    assert late.source_dir == "late/right" and not late.render_error


def test_each_path_is_built_once_and_a_wrong_guess_costs_one_build(tmp_path, monkeypatch):
    entry = _repo(tmp_path)
    _, level_by_level = _render(tmp_path, entry, False, monkeypatch)
    _, ahead = _render(tmp_path, entry, True, monkeypatch)
    assert len(level_by_level) == len(set(level_by_level)) == 22
    # `late`'s child was guessed before the ConfigMap its path comes from was rendered: one
    # build more (never asked for by the walk), and no path built twice
    assert sorted(ahead) == sorted(level_by_level + ["late/wrong"])


def test_builds_of_the_next_level_start_before_the_level_ends(tmp_path, monkeypatch):
    # a kustomize that holds the build of `provider` (level 1) until the build of a level-2
    # path has started: level by level, that cannot happen before `provider` is done
    from kg.loaders.kustomize import kustomize_command

    entry = _repo(tmp_path)
    real = " ".join(kustomize_command())
    seen, started = tmp_path / "seen", tmp_path / "started"
    fake = tmp_path / "kustomize-holds"
    fake.write_text(f"""#!/bin/sh
for last; do :; done
case "$last" in
  */provider) for i in $(seq 100); do [ -e {started} ] && touch {seen} && break; sleep 0.1; done ;;
  */tree/t0/2) touch {started} ;;
esac
exec {real} "$@"
""")
    fake.chmod(0o755)
    monkeypatch.setenv("KG_KUSTOMIZE", str(fake))
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    result, _ = _render(tmp_path, entry, True, monkeypatch)
    assert seen.exists()
    assert "flux-system/t0-6-x" in result.kustomizations and not any(
        ks.render_error for ks in result.kustomizations.values()
    )


def test_a_limit_hit_of_a_build_run_ahead_counts_only_once_the_walk_asks_for_it(tmp_path, monkeypatch):
    import sys

    _write(tmp_path, "apps/cm.yaml", _cm("a", K="v"))
    greedy = tmp_path / "kustomize-greedy"
    greedy.write_text(f"#!{sys.executable}\nblock = bytearray(1024 ** 3)\n")
    greedy.chmod(0o755)
    monkeypatch.setenv("KG_KUSTOMIZE", str(greedy))
    with Workspace(tmp_path, limits=BuildLimits(timeout_s=60, memory_mb=200)) as ws:
        result = ws.build(REPO_TREE, "apps", {}, ahead=True)
        assert result.limit_hit is not None and ws.limit_hits == []
        ws.claim(ws.build_key(REPO_TREE, "apps", {}))
        assert [(hit.path, hit.hit.limit) for hit in ws.limit_hits] == [("apps", "memory")]
        ws.build(REPO_TREE, "apps", {})  # asked again: the same build, counted once
        assert len(ws.limit_hits) == 1
