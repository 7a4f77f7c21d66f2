"""kg renders with a standalone kustomize when it can (scripts/kustomize-local builds one
into the tools cache): `kubectl kustomize` embeds the same kustomize but costs ~50 ms
more CPU and twice the memory a build. The choice must not change what is rendered."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kg.loaders.kustomize import KUSTOMIZE_LOCAL_VERSION, kustomize_command

ROOT = Path(__file__).resolve().parents[2]


def _tools_dir() -> Path:
    return Path(os.environ.get("KG_TOOLS_DIR") or Path.home() / ".cache" / "flux-kg" / "tools")


def test_the_order_is_override_path_cached_build_then_kubectl(tmp_path, monkeypatch):
    built = tmp_path / "tools" / f"kustomize-{KUSTOMIZE_LOCAL_VERSION}" / "kustomize"
    built.parent.mkdir(parents=True)
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    kubectl_only = tmp_path / "bin"
    kubectl_only.mkdir()
    (kubectl_only / "kubectl").symlink_to(shutil.which("true") or "/bin/true")
    monkeypatch.setenv("PATH", str(kubectl_only))
    monkeypatch.delenv("KG_KUSTOMIZE", raising=False)
    monkeypatch.setenv("KG_TOOLS_DIR", str(tmp_path / "tools"))
    assert kustomize_command() == [str(built), "build"]
    monkeypatch.setenv("KG_KUSTOMIZE", "my-kustomize build --flag")
    assert kustomize_command() == ["my-kustomize", "build", "--flag"]
    monkeypatch.delenv("KG_KUSTOMIZE")
    monkeypatch.setenv("KG_TOOLS_DIR", str(tmp_path / "empty"))
    assert kustomize_command() == ["kubectl", "kustomize"]


def test_the_script_reports_its_cached_build():
    run = subprocess.run([str(ROOT / "scripts" / "kustomize-local"), "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "install" in run.stdout and KUSTOMIZE_LOCAL_VERSION in run.stdout


def test_standalone_and_kubectl_kustomize_render_the_example_alike(example_repo, monkeypatch):
    built = _tools_dir() / f"kustomize-{KUSTOMIZE_LOCAL_VERSION}" / "kustomize"
    if not os.access(built, os.X_OK) or not shutil.which("kubectl"):
        pytest.skip("needs scripts/kustomize-local install and kubectl (.ci/run has both)")
    from kg.loaders import load_repo

    def graph(command: str) -> tuple[set, set]:
        monkeypatch.setenv("KG_KUSTOMIZE", command)
        monkeypatch.setenv("KG_RENDER_CACHE", "off")  # each side runs its own builds
        gd = load_repo(example_repo, charts=False).graph
        nodes = {
            (n.id, repr(sorted((k, repr(v)) for k, v in n.props.items() if k != "load_tag"))) for n in gd.nodes.values()
        }
        rels = {
            (r.type, r.start, r.end, repr(sorted((k, repr(v)) for k, v in r.props.items() if k != "load_tag")))
            for r in gd.rels.values()
        }
        return nodes, rels

    standalone, kubectl = graph(f"{built} build"), graph("kubectl kustomize")
    assert standalone == kubectl and len(standalone[0]) > 100


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
    built = _tools_dir() / f"kustomize-{KUSTOMIZE_LOCAL_VERSION}" / "kustomize"
    if not os.access(built, os.X_OK):
        pytest.skip("needs scripts/kustomize-local install (.ci/run runs it)")
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    monkeypatch.setenv("KG_KUSTOMIZE", f"{built} build")
    assert "rendered with" not in _load_summary(example_repo, tmp_path / "graph")
