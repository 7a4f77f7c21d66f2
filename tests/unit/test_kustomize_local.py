"""kg renders with kg-kustomize-server or a standalone kustomize when it can
(scripts/kustomize-local builds both into the tools cache): the server parses kustomize's
schema once per load instead of once per build, and `kubectl kustomize` embeds the same
kustomize but costs ~50 ms more CPU and twice the memory a build. The choice must not
change what is rendered."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kg.loaders.kustomize import BUILD_SERVER, KUSTOMIZE_LOCAL_VERSION, kustomize_command, local_kustomize_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_order_is_override_server_path_cached_build_then_kubectl(tmp_path, monkeypatch):
    folder = tmp_path / "tools" / f"kustomize-{KUSTOMIZE_LOCAL_VERSION}"
    folder.mkdir(parents=True)
    for name in ("kustomize", BUILD_SERVER):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    bins = tmp_path / "bin"
    bins.mkdir()
    (bins / "kubectl").symlink_to(shutil.which("true") or "/bin/true")
    monkeypatch.setenv("PATH", str(bins))
    monkeypatch.delenv("KG_KUSTOMIZE", raising=False)
    monkeypatch.setenv("KG_TOOLS_DIR", str(tmp_path / "tools"))
    assert kustomize_command() == [str(folder / BUILD_SERVER), "build"]
    monkeypatch.setenv("KG_KUSTOMIZE", "my-kustomize build --flag")
    assert kustomize_command() == ["my-kustomize", "build", "--flag"]
    monkeypatch.delenv("KG_KUSTOMIZE")
    (folder / BUILD_SERVER).unlink()
    (bins / "kustomize").symlink_to(shutil.which("true") or "/bin/true")
    assert kustomize_command() == ["kustomize", "build"]
    (bins / "kustomize").unlink()
    assert kustomize_command() == [str(folder / "kustomize"), "build"]
    monkeypatch.setenv("KG_TOOLS_DIR", str(tmp_path / "empty"))
    assert kustomize_command() == ["kubectl", "kustomize"]


def test_the_script_reports_its_cached_build():
    run = subprocess.run([str(ROOT / "scripts" / "kustomize-local"), "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "install" in run.stdout and KUSTOMIZE_LOCAL_VERSION in run.stdout


def test_the_build_server_the_standalone_and_kubectl_kustomize_render_alike(example_repo, monkeypatch):
    built = local_kustomize_dir()
    if not os.access(built / "kustomize", os.X_OK) or not os.access(built / BUILD_SERVER, os.X_OK):
        pytest.skip("needs scripts/kustomize-local install (.ci/run runs it)")
    if not shutil.which("kubectl"):
        pytest.skip("needs kubectl (.ci/run has it)")
    from kg.loaders import load_repo

    def graph(repo: Path, command: str) -> tuple[set, set, list[str]]:
        monkeypatch.setenv("KG_KUSTOMIZE", command)
        monkeypatch.setenv("KG_RENDER_CACHE", "off")  # each side runs its own builds
        result = load_repo(repo, charts=False)
        gd = result.graph
        nodes = {
            (n.id, repr(sorted((k, repr(v)) for k, v in n.props.items() if k != "load_tag"))) for n in gd.nodes.values()
        }
        rels = {
            (r.type, r.start, r.end, repr(sorted((k, repr(v)) for k, v in r.props.items() if k != "load_tag")))
            for r in gd.rels.values()
        }
        return nodes, rels, sorted(str(w) for w in result.warnings)

    for repo in (example_repo, ROOT / "tests" / "fixtures" / "flux-operator"):
        server = graph(repo, f"{built / BUILD_SERVER} build")
        assert server == graph(repo, f"{built / 'kustomize'} build") == graph(repo, "kubectl kustomize")
    assert len(graph(example_repo, f"{built / BUILD_SERVER} build")[0]) > 100


def _load_summary(example_repo: Path, graph: Path, *args: str) -> str:
    from typer.testing import CliRunner

    from kg.cli import app

    load = ["load", str(example_repo), "--no-charts", "--engine", "embedded", "--graph", str(graph), *args]
    done = CliRunner().invoke(app, load)
    assert done.exit_code in (0, 3), done.output  # 3: loaded with warnings
    return done.stdout


def test_a_load_rendered_with_kubectl_says_a_standalone_kustomize_would_do_better(example_repo, tmp_path, monkeypatch):
    """The summary of a load names the kustomize it rendered with; with `kubectl kustomize`
    (by name or path) it adds how to get the standalone one."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("needs kubectl (.ci/run has it)")
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    monkeypatch.setenv("KG_KUSTOMIZE", "kubectl kustomize")
    assert json.loads(_load_summary(example_repo, tmp_path / "graph", "--format", "json"))["kustomize"] == (
        "kubectl kustomize"
    )
    monkeypatch.setenv("KG_KUSTOMIZE", f"{kubectl} kustomize")
    text = _load_summary(example_repo, tmp_path / "graph")
    assert "rendered with `kubectl kustomize`" in text and "scripts/kustomize-local install" in text


def test_a_load_rendered_with_the_standalone_kustomize_gives_no_hint(example_repo, tmp_path, monkeypatch):
    built = local_kustomize_dir() / "kustomize"
    if not os.access(built, os.X_OK):
        pytest.skip("needs scripts/kustomize-local install (.ci/run runs it)")
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    monkeypatch.setenv("KG_KUSTOMIZE", f"{built} build")
    assert "rendered with" not in _load_summary(example_repo, tmp_path / "graph")


def test_a_load_with_a_kustomize_from_path_points_to_the_build_server(example_repo, tmp_path, monkeypatch):
    """Found on PATH (not chosen with KG_KUSTOMIZE), a one-process-a-build kustomize gets a
    hint; the build server itself gets none."""
    folder = local_kustomize_dir()
    if not os.access(folder / "kustomize", os.X_OK) or not os.access(folder / BUILD_SERVER, os.X_OK):
        pytest.skip("needs scripts/kustomize-local install (.ci/run runs it)")
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    monkeypatch.delenv("KG_KUSTOMIZE", raising=False)
    assert "rendered with" not in _load_summary(example_repo, tmp_path / "graph")  # the server, from the tools cache
    bins = tmp_path / "bin"
    bins.mkdir()
    (bins / "kustomize").symlink_to(folder / "kustomize")
    monkeypatch.setenv("PATH", f"{bins}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KG_TOOLS_DIR", str(tmp_path / "no-tools"))
    text = _load_summary(example_repo, tmp_path / "graph")
    assert "rendered with one `kustomize build` process a build" in text and "build server" in text
