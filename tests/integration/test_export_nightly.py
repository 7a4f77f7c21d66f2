"""The nightly job's own commands: the `run:` scripts of the steps with an id in
examples/ci/nightly-skill-export.yml (load, check, export), taken from the workflow file
and run with bash as GitHub Actions runs them, with the workflow's env block (the
embedded engine, no server) in a workspace of their own, on a git copy of
examples/platform: the first night exports, the next finds the skill current, and after
a commit that changes a value it exports again."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "nightly-skill-export.yml"
STALE = "steps.check.outputs.stale == 'true'"


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def git(repo, *args, when="2026-02-02T10:00:00+00:00"):
    env = dict(os.environ, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    ident = ["-c", "user.name=nightly", "-c", "user.email=nightly@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=repo, env=env, check=True, capture_output=True)


def night(env, tmp_path, workspace):
    """One run of the job's steps that have an id; returns {step id: (exit code, output)}."""
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    ran = {}
    for step in workflow()["jobs"]["export"]["steps"]:
        if "id" not in step:
            continue  # checkout, setup-python, pip install, the pull request: GitHub's side
        condition = step.get("if")
        if condition:
            assert condition == STALE, f"the test only knows the condition {STALE!r}"
            if "stale=true" not in outputs.read_text().splitlines():
                continue
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env={**env, "GITHUB_OUTPUT": str(outputs)}, cwd=workspace, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        ran[step["id"]] = (proc.returncode, proc.stdout + proc.stderr)
        assert proc.returncode == 0, (step["id"], proc.stdout, proc.stderr)
    return ran, outputs.read_text().split()


def test_the_workflow_is_the_documented_job():
    job = workflow()
    triggers = job.get("on", job.get(True))  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    export = job["jobs"]["export"]
    assert "services" not in export, "the job needs no database server"
    assert job["env"]["KG_ENGINE"] == "embedded" and not job["env"]["KG_GRAPH"].startswith(job["env"]["SKILLS_DIR"])
    uses = [s.get("uses", "") for s in export["steps"]]
    assert sum(u.startswith("actions/checkout@") for u in uses) == 2
    assert any(u.startswith("peter-evans/create-pull-request@") for u in uses)
    pr = next(s for s in export["steps"] if s.get("uses", "").startswith("peter-evans/"))
    assert pr["if"] == STALE
    assert [s["id"] for s in export["steps"] if "id" in s] == ["load", "check", "export"]


def test_the_nightly_commands_export_then_stay_quiet_then_export_a_change(example_repo, tmp_path):
    repo_name = "infra-flux"  # the graph file is the test's own: no other repository in it
    flux = tmp_path / "flux-repo"
    shutil.copytree(example_repo, flux)
    git(flux, "init", "-q")
    git(flux, "add", "-A")
    git(flux, "commit", "-q", "-m", "platform")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "kg").write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from kg.cli import main; main()' \"$@\"\n")
    (shim / "kg").chmod(0o755)
    workspace = tmp_path / "skills-repo"  # GitHub runs every step in the checked-out workspace
    skills = workspace / "skills"
    workspace.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}, **workflow()["env"],
        "FLUX_REPO_PATH": str(flux), "REPO_NAME": repo_name, "SKILLS_DIR": str(skills),
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
    }  # fmt: skip
    env.pop("SOURCE_DATE_EPOCH", None)

    # first night: nothing exported yet -> stale -> export
    ran, outputs = night(env, tmp_path, workspace)
    assert outputs == ["stale=true"] and list(ran) == ["load", "check", "export"]
    assert "added    flux-infra-guide/data/services.json" in ran["check"][1]
    guide = skills / "flux-infra-guide" / "SKILL.md"
    assert guide.is_file() and (skills / "flux-infra-guide-regenerate" / "SKILL.md").is_file()
    assert '"generatedAt": "2026-02-02T10:00:00Z"' in (skills / "flux-infra-guide/data/services.json").read_text()
    exported = {p: p.read_bytes() for p in skills.rglob("*") if p.is_file()}
    assert (workspace / workflow()["env"]["KG_GRAPH"]).is_file(), "the graph file is where the workflow puts it"

    # next night, nothing changed: current, no export, no pull request
    ran, outputs = night(env, tmp_path, workspace)
    assert outputs == ["stale=false"] and list(ran) == ["load", "check"]
    assert {p: p.read_bytes() for p in skills.rglob("*") if p.is_file()} == exported

    # a commit changes a value: stale again, and the export carries the change
    values = flux / "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"
    values.write_text(values.read_text().replace("subdomain: nonprod", "subdomain: staging"))
    git(flux, "commit", "-q", "-am", "staging", when="2026-02-03T10:00:00+00:00")
    ran, outputs = night(env, tmp_path, workspace)
    assert outputs == ["stale=true"] and list(ran) == ["load", "check", "export"]
    assert "configMaps ~2 (cluster-vars, papi-env-vars-cm)" in ran["check"][1]
    configmaps = (skills / "flux-infra-guide/data/configmaps.json").read_text()
    assert '"GIT_SERVICE_URL": "https://git.staging.runwhen.com"' in configmaps
    assert '"generatedAt": "2026-02-03T10:00:00Z"' in configmaps
