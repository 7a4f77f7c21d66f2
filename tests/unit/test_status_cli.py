"""`kg status load` from the command line on the embedded engine: files (JSON, YAML,
gzip), `--live` through kubectl, `kg db status`, and the errors.

`--live` runs a `kubectl` that is a TEST DOUBLE: a script put first on PATH that prints
a recorded snapshot (tests/fixtures/status) or fails the way kubectl fails. A double is
right here and only here: no cluster runs on these machines, and what is tested is kg's
side of the exchange (the command it runs, what it does with the answer or the error)."""

from __future__ import annotations

import gzip
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "status"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"
CLUSTER = "platform-cluster"

KUBECTL_DOUBLE = """#!{python}
# kubectl test double (no cluster runs here): records its arguments, then answers as the
# test's KG_TEST_KUBECTL mode says.
import json, os, sys
args = sys.argv[1:]
with open(os.environ["KG_TEST_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
mode = os.environ.get("KG_TEST_KUBECTL", "ok")
if mode == "unknown-context":
    sys.stderr.write('error: context "nope" does not exist\\n'); sys.exit(1)
if mode == "refused":
    sys.stderr.write("The connection to the server 127.0.0.1:6443 was refused - "
                     "did you specify the right host or port?\\n")
    sys.exit(1)
if any("controlplane.io" in a for a in args):  # the Flux Operator is not installed
    sys.stderr.write('error: the server doesn\\'t have a resource type "fluxinstances"\\n'); sys.exit(1)
sys.stdout.write(open(os.environ["KG_TEST_SNAPSHOT"]).read())
"""


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("status") / "graph")
    result = CliRunner().invoke(app, ["load", str(EXAMPLE), "--graph", path, "--engine", "embedded", "--offline"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def kubectl(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    double = folder / "kubectl"
    double.write_text(KUBECTL_DOUBLE.format(python=sys.executable))
    double.chmod(double.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "kubectl.log"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KG_TEST_KUBECTL_LOG", str(log))
    monkeypatch.setenv("KG_TEST_SNAPSHOT", str(FIXTURES / "platform-helm-upgrade-failed.json"))
    return log


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_load_a_gzipped_snapshot_and_db_status_shows_its_age(graph, tmp_path):
    snapshot = tmp_path / "status.json.gz"
    snapshot.write_bytes(gzip.compress((FIXTURES / "platform-suspended.json").read_bytes()))
    result = run("status", "load", str(snapshot), "--cluster", CLUSTER, "--graph", graph, "--engine", "embedded")
    assert result.exit_code == 0, result.output
    assert "52 live objects, 52 matched, 1 failing" in result.output
    shown = run("db", "status", "--graph", graph, "--engine", "embedded")
    assert f"status of cluster {CLUSTER}" in shown.output and " ago) from " in shown.output


def test_live_runs_kubectl_get_read_only_and_loads_what_it_prints(graph, kubectl):
    result = run(
        "status", "load", "--live", "--context", "prod", "--cluster", CLUSTER, "--graph", graph, "--engine", "embedded"
    )
    assert result.exit_code == 0, result.output
    assert "7 failing" in result.output
    calls = [json.loads(line) for line in kubectl.read_text().splitlines()]
    assert all(call[0] == "get" and "--all-namespaces" in call and call[-2:] == ["--context", "prod"] for call in calls)
    assert "kustomizations.kustomize.toolkit.fluxcd.io" in calls[0][1]
    why = run("ask", "why", "Deployment/corestate", "--graph", graph, "--engine", "embedded", "-f", "json")
    rows = json.loads(why.output)
    assert [(r["kind"], r["name"]) for r in rows if r["verdict"] == "root cause"] == [("HelmRelease", "vault")]


@pytest.mark.parametrize(
    "mode, message",
    [("unknown-context", "kubectl knows no context 'nope'"), ("refused", "the Kubernetes API refused `kubectl get`")],
)
def test_live_failures_are_one_clear_line(graph, kubectl, monkeypatch, mode, message):
    monkeypatch.setenv("KG_TEST_KUBECTL", mode)
    result = run(
        "status", "load", "--live", "--context", "nope", "--cluster", CLUSTER, "--graph", graph, "--engine", "embedded"
    )
    assert result.exit_code == 1
    assert message in result.output


def test_live_without_kubectl_says_what_to_do(graph, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    result = run("status", "load", "--live", "--cluster", CLUSTER, "--graph", graph, "--engine", "embedded")
    assert result.exit_code == 1 and "kubectl is not on PATH" in result.output


def test_usage_errors(graph, tmp_path):
    snapshot = str(FIXTURES / "platform-healthy.json")
    assert run("status", "load", snapshot, "--graph", graph).exit_code == 2  # no --cluster
    assert run("status", "load", "--cluster", CLUSTER, "--graph", graph).exit_code == 2  # neither files nor --live
    assert run("status", "load", snapshot, "--live", "--cluster", CLUSTER, "--graph", graph).exit_code == 2
    unknown = run("status", "load", snapshot, "--cluster", "elsewhere", "--graph", graph, "--engine", "embedded")
    assert unknown.exit_code == 1 and "no cluster 'elsewhere' in the graph (loaded: platform-cluster)" in unknown.output
    broken = tmp_path / "broken.json"
    broken.write_text("{ this: is: [not")
    bad = run("status", "load", str(broken), "--cluster", CLUSTER, "--graph", graph, "--engine", "embedded")
    assert bad.exit_code == 1 and "neither JSON nor YAML" in bad.output


def test_export_with_status_adds_the_snapshot_to_flux_resources_only_when_asked(graph, tmp_path):
    fresh = str(tmp_path / "graph")
    assert run("load", str(EXAMPLE), "--graph", fresh, "--engine", "embedded", "--offline").exit_code == 0
    refused = run("export", "--out", str(tmp_path / "none"), "--with-status", "--graph", fresh, "--engine", "embedded")
    assert refused.exit_code == 1 and "no status snapshot is loaded" in refused.output
    assert not (tmp_path / "none").exists()
    snapshot = FIXTURES / "platform-helm-upgrade-failed.json"
    loaded = run("status", "load", str(snapshot), "--cluster", CLUSTER, "--graph", fresh, "--engine", "embedded")
    assert loaded.exit_code == 0, loaded.output
    plain, with_status = tmp_path / "plain", tmp_path / "with-status"
    for out, extra in ((plain, []), (with_status, ["--with-status"])):
        result = run("export", "--out", str(out), *extra, "--graph", fresh, "--engine", "embedded")
        assert result.exit_code == 0, result.output
    data = "flux-infra-guide/data/flux-resources.json"
    assert "status" not in json.loads((plain / data).read_text())  # the nightly export stays status-free
    status = json.loads((with_status / data).read_text())["status"]["clusters"][CLUSTER]
    assert status["snapshotAt"] and status["counts"]["failing"] == len([o for o in status["objects"] if o["failing"]])
    causes = [(o["kind"], o["namespace"], o["name"], o["reason"]) for o in status["objects"] if o["rootCause"]]
    assert causes == [("HelmRelease", "vault", "vault", "UpgradeFailed")]
    assert status["objects"][0]["rootCause"]  # root causes first
    blocked = {o["name"] for o in status["objects"] if o["reason"] == "DependencyNotReady"}
    assert "runwhen-corestate" in blocked
    skill = (with_status / "flux-infra-guide/SKILL.md").read_text()
    assert f"- `{CLUSTER}` at " in skill and "HelmRelease `vault/vault` (UpgradeFailed)" in skill
    assert "**Live status**" not in (plain / "flux-infra-guide/SKILL.md").read_text()
    for name in ("services", "secrets-map", "configmaps"):
        path = f"flux-infra-guide/data/{name}.json"
        assert (plain / path).read_text() == (with_status / path).read_text()
    checked = run(
        "export", "--out", str(with_status), "--with-status", "--check", "--graph", fresh, "--engine", "embedded"
    )
    assert checked.exit_code == 0, checked.output
