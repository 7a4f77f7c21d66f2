"""The pull-request job's own command: the `run:` script of the step with id `diff` in
examples/ci/pr-diff.yml, taken from the workflow file and run with bash as GitHub Actions
runs it, with the workflow's env block, in a checkout of a git copy of examples/platform
whose pull request changes a Vault path (a policy of KG_FAIL_ON) and then nothing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "pr-diff.yml"


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def git(repo, *args):
    ident = ["-c", "user.name=ci", "-c", "user.email=ci@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


def test_the_workflow_is_the_documented_job():
    job = workflow()
    triggers = job.get("on", job.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    steps = job["jobs"]["diff"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses) and any(
        u.startswith("actions/github-script@") for u in uses
    )
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    assert "<!-- kg-diff -->" in comment["with"]["script"] and "updateComment" in comment["with"]["script"]
    assert job["env"]["KG_ENGINE"] == "embedded" and job["env"]["KG_GRAPH"].startswith("../")


def run_diff_step(env, workspace, tmp_path):
    (step,) = [s for s in workflow()["jobs"]["diff"]["steps"] if s.get("id") == "diff"]
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={**env, "GITHUB_OUTPUT": str(outputs)}, cwd=workspace, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return outputs.read_text().split(), (Path(env["RUNNER_TEMP"]) / "kg-diff.md").read_text()


def test_the_diff_step_comments_and_flags_a_vault_path(example_repo, tmp_path):
    work = tmp_path / "work" / "flux"  # ../kg-ci sits beside it, as on a runner
    shutil.copytree(example_repo, work)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "platform")
    git(work, "update-ref", "refs/remotes/origin/main", "main")
    git(work, "checkout", "-q", "-b", "pr")
    spc = work / "apps/corestate/vault-corestate-csi-secret-class.yaml"
    spc.write_text(spc.read_text().replace("shared/data/corestate", "shared/data/corestate-v2"))
    git(work, "commit", "-qam", "read another Vault path")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "kg").write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from kg.cli import main; main()' \"$@\"\n")
    (shim / "kg").chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))},
        **{k: str(v) for k, v in workflow()["env"].items()},
        "KG_OFFLINE": "1",
        "KG_CHART_CACHE": os.environ.get("KG_CHART_CACHE", str(tmp_path / "charts")),
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_BASE_REF": "main",
        "RUNNER_TEMP": str(runner_temp),
    }
    outputs, comment = run_diff_step(env, work, tmp_path)
    assert "rc=10" in outputs  # secrets is in KG_FAIL_ON: the job posts, then fails
    assert comment.startswith("<!-- kg-diff -->")
    assert "SecretProviderClass corestate/vault-corestate" in comment and "reads another secret location" in comment
    assert (tmp_path / "work" / "kg-ci" / "render-cache").is_dir()  # outside the checkout, cached by the job
    assert subprocess.run(["git", "status", "--porcelain"], cwd=work, capture_output=True, text=True).stdout == ""
    # a push that changes nothing effective: the comment says so, the job passes
    git(work, "checkout", "-q", "main")
    outputs, comment = run_diff_step(env, work, tmp_path)
    assert "rc=0" in outputs and "No effective change" in comment
