"""`kg diff` on a real git repository built from examples/platform: one commit per kind of
change, each reported exactly, with the workloads it impacts; a commit that changes
nothing effective reports nothing; the impact is the same on both engines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

pytestmark = pytest.mark.integration
GIT_ENV = {
    "GIT_AUTHOR_NAME": "kg",
    "GIT_AUTHOR_EMAIL": "kg@example.com",
    "GIT_COMMITTER_NAME": "kg",
    "GIT_COMMITTER_EMAIL": "kg@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    import os

    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True
    )
    return proc.stdout.strip()


def edit(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def append(repo: Path, file: str, text: str) -> None:
    with (repo / file).open("a") as f:
        f.write(text)


def commit(repo: Path, tag: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", tag)
    git(repo, "tag", tag)


NEW_APP = {
    "apps/hello/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: hello
resources:
  - namespace.yaml
  - deployment.yaml
""",
    "apps/hello/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hello\n",
    "apps/hello/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
        - name: hello
          image: ${artifact_registry_path}/hello:1.0.0
""",
}
NEW_KUSTOMIZATION = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: runwhen-hello
  namespace: flux-system
spec:
  dependsOn:
    - name: runwhen-backend-services
  interval: 1m
  path: ./apps/hello
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory, example_repo):
    """examples/platform as a git repository, a tagged commit per change."""
    repo = tmp_path_factory.mktemp("history") / "platform"
    shutil.copytree(example_repo, repo)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "base")
    edit(
        repo,
        "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml",
        "subdomain: nonprod",
        "subdomain: staging",
    )
    commit(repo, "cluster-vars")
    append(
        repo,
        "apps/corestate/kustomization.yaml",
        """patches:
  - target:
      kind: Deployment
      name: corestate
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: ${artifact_registry_path}/corestate:1.43.0
""",
    )
    commit(repo, "image-overlay")
    edit(
        repo,
        "apps/corestate/vault-corestate-csi-secret-class.yaml",
        'secretPath: "shared/data/corestate"',
        'secretPath: "shared/data/corestate-v2"',
    )
    commit(repo, "vault-path")
    edit(
        repo,
        "clusters/platform-cluster/apps.yaml",
        "    - name: runwhen-backend-services\n    - name: vault\n",
        "    - name: runwhen-backend-services\n",
    )
    commit(repo, "depends-on")
    for file, text in NEW_APP.items():
        (repo / file).parent.mkdir(parents=True, exist_ok=True)
        (repo / file).write_text(text)
    append(repo, "clusters/platform-cluster/apps.yaml", NEW_KUSTOMIZATION)
    commit(repo, "new-kustomization")
    append(
        repo,
        "apps/backend-services/kustomization.yaml",
        """patches:
  - target:
      kind: HelmRelease
      name: qdrant
    patch: |-
      - op: add
        path: /spec/values/replicaCount
        value: 3
""",
    )
    commit(repo, "helm-values")
    # no effective change: keys reordered, a comment added
    path = repo / "apps/corestate/namespace.yaml"
    path.write_text("# the corestate namespace\nmetadata:\n  name: corestate\nkind: Namespace\napiVersion: v1\n")
    commit(repo, "no-op")
    return repo


def kg(*args, code=None):
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def diff_json(repo: Path, base: str, head: str | None = None, *extra: str, code: int = 1) -> dict:
    args = ["diff", base] + ([head] if head else []) + ["-C", repo, "--format", "json", *extra]
    return json.loads(kg(*args, code=code).stdout)


def changed(report: dict) -> set[tuple[str, str, str, str]]:
    return {(c["action"], c["kind"], c["namespace"], c["name"]) for c in report["changes"]}


def field_map(report: dict, kind: str, name: str) -> dict[str, dict]:
    (change,) = [c for c in report["changes"] if (c["kind"], c["name"]) == (kind, name)]
    return {f["field"]: f for f in change["fields"]}


def impacted(report: dict, kind: str, name: str) -> set[str]:
    (change,) = [c for c in report["changes"] if (c["kind"], c["name"]) == (kind, name)]
    return {r["name"] for r in change["impact"]["rows"] if r["kind"] == "Deployment"}


def test_cluster_vars_value_changes_every_setting_using_it(history):
    report = diff_json(history, "base", "cluster-vars")
    assert changed(report) == {
        ("changed", "ConfigKey", "flux-system", "subdomain"),
        ("changed", "Variable", "", "subdomain"),
        ("changed", "ConfigKey", "backend-services", "GIT_SERVICE_URL"),
        ("changed", "Deployment", "gitservice", "gitservice"),
    }
    assert field_map(report, "Variable", "subdomain")["value"] == {
        "field": "value",
        "before": "nonprod",
        "after": "staging",
    }
    url = field_map(report, "ConfigKey", "GIT_SERVICE_URL")["value"]
    assert (url["before"], url["after"]) == ("https://git.nonprod.runwhen.com", "https://git.staging.runwhen.com")
    env = field_map(report, "Deployment", "gitservice")["env"]
    assert env["removed"] == ["gitservice: GITLAB_URL=https://git.nonprod.runwhen.com"]
    assert env["added"] == ["gitservice: GITLAB_URL=https://git.staging.runwhen.com"]
    # the variable changed in one place reaches the workloads reading the key it fills
    assert impacted(report, "Variable", "subdomain") == {"papi", "celery-worker"}
    assert impacted(report, "ConfigKey", "GIT_SERVICE_URL") == {"papi", "celery-worker"}
    # the cluster-vars key itself: through the variable it defines
    assert impacted(report, "ConfigKey", "subdomain") == {"papi", "celery-worker"}
    limited = diff_json(history, "base", "cluster-vars", "--impact-limit", "1")
    assert limited["impacts_skipped"] == 3 and sum(1 for c in limited["changes"] if c["impact"]) == 1


def test_image_tag_in_an_overlay(history):
    report = diff_json(history, "cluster-vars", "image-overlay")
    assert changed(report) == {("changed", "Deployment", "corestate", "corestate")}
    assert field_map(report, "Deployment", "corestate") == {
        "images": {
            "field": "images",
            "before": ["us-docker.pkg.dev/runwhen-nonprod/images/corestate:1.42.0"],
            "after": ["us-docker.pkg.dev/runwhen-nonprod/images/corestate:1.43.0"],
            "added": ["us-docker.pkg.dev/runwhen-nonprod/images/corestate:1.43.0"],
            "removed": ["us-docker.pkg.dev/runwhen-nonprod/images/corestate:1.42.0"],
        }
    }
    assert impacted(report, "Deployment", "corestate") == {"corestate"}
    # not a production cluster: nothing to look at first, and the images policy matches
    assert report["look_first"] == []
    assert diff_json(history, "cluster-vars", "image-overlay", "--fail-on", "images", code=10)["policies_failed"] == [
        "images"
    ]
    kg("diff", "cluster-vars", "image-overlay", "-C", history, "--fail-on", "removed,secrets", "--no-impact", code=1)
    prod = diff_json(history, "cluster-vars", "image-overlay", "--production", "platform", "--no-impact")
    assert prod["look_first"][0]["why"] == ["image change in a production cluster"]


def test_vault_path_in_a_secret_provider_class(history):
    report = diff_json(history, "image-overlay", "vault-path", "--fail-on", "secrets", code=10)
    assert changed(report) == {
        ("changed", "SecretProviderClass", "corestate", "vault-corestate"),
        ("removed", "VaultPath", "", "shared/corestate"),
        ("added", "VaultPath", "", "shared/corestate-v2"),
    }
    fields = field_map(report, "SecretProviderClass", "vault-corestate")
    assert fields["FETCHES VaultPath shared/corestate [database_url]"]["after"] is None
    assert fields["FETCHES VaultPath shared/corestate-v2 [database_url]"]["after"] == {
        "object_name": "database_url",
        "key": "DATABASE_URL",
    }
    assert impacted(report, "SecretProviderClass", "vault-corestate") == {"corestate"}
    look = {(x["object"], tuple(x["why"])) for x in report["look_first"]}
    assert (
        "SecretProviderClass corestate/vault-corestate",
        ("secret lineage changed", "reads another secret location"),
    ) in look
    assert ("VaultPath shared/corestate", ("removed",)) in look


def test_removed_depends_on(history):
    report = diff_json(history, "vault-path", "depends-on", "--fail-on", "dependencies", code=10)
    assert changed(report) == {("changed", "Kustomization", "flux-system", "runwhen-llm-gateway")}
    change = report["changes"][0]
    assert change["categories"] == ["flux", "dependencies"]
    (field,) = change["fields"]
    assert (field["field"], field["removed"], field["added"]) == ("depends_on", ["flux-system/vault"], [])
    # what waits on it, or is applied by it, in the new graph
    assert impacted(report, "Kustomization", "runwhen-llm-gateway") == {"litellm-proxy"}


def test_new_kustomization(history):
    report = diff_json(history, "depends-on", "new-kustomization")
    assert changed(report) == {
        ("added", "Kustomization", "flux-system", "runwhen-hello"),
        ("added", "Namespace", "", "hello"),
        ("added", "Deployment", "hello", "hello"),
    }
    assert impacted(report, "Kustomization", "runwhen-hello") == {"hello"}


def test_helm_release_values_patch(history):
    report = diff_json(history, "new-kustomization", "helm-values")
    assert changed(report) == {("changed", "HelmRelease", "backend-services", "qdrant")}
    assert field_map(report, "HelmRelease", "qdrant") == {
        "values.replicaCount": {"field": "values.replicaCount", "before": 1, "after": 3}
    }
    # the workloads calling the release's service
    assert impacted(report, "HelmRelease", "qdrant") == {
        "sobow-index",
        "sobow-search",
        "usearch-indexer",
        "usearch-query",
        "usearch-worker",
    }


def test_no_effective_change_reports_nothing(history):
    report = diff_json(history, "helm-values", "no-op", code=0)
    assert report["changes"] == [] and report["cycles"] == [] and not report["changed"]
    result = kg("diff", "helm-values", "no-op", "-C", history, "--format", "markdown", code=0)
    assert "No effective change" in result.stdout


def test_markdown_comment(history):
    result = kg("diff", "image-overlay", "depends-on", "-C", history, "--format", "markdown", code=1)
    text = result.stdout
    assert text.startswith("<!-- kg-diff -->")
    assert "#### Look at these first" in text and "#### Cluster `platform-cluster`" in text
    assert "<details>" in text and "| field | before | after |" in text
    # a summary table per cluster, the categories as columns
    assert re.search(r"\| changed \| 1 \| 1 \| 1 \|", text), text


def test_cycle_introduced(history, tmp_path):
    work = tmp_path / "platform"
    shutil.copytree(history, work)
    git(work, "checkout", "-q", "base")
    # vault waits on an app that waits on vault
    edit(
        work,
        "clusters/platform-cluster/infrastructure.yaml",
        "  dependsOn:\n    - name: infrastructure\n",
        "  dependsOn:\n    - name: infrastructure\n    - name: runwhen-corestate\n",
    )
    report = diff_json(work, "HEAD", None, "--fail-on", "cycles", "--no-impact", code=10)
    (cycle,) = report["cycles"]
    assert cycle["members"][0] == cycle["members"][-1]
    assert "Kustomization flux-system/vault" in cycle["members"]
    # HEAD is the work tree: nothing in the checkout changed
    assert git(work, "status", "--porcelain") == "M clusters/platform-cluster/infrastructure.yaml"


def test_unknown_revision_is_one_line(history):
    result = kg("diff", "no-such-rev", "-C", history, code=2)
    assert result.output.strip().count("\n") == 0
    assert "'no-such-rev' is neither a folder nor a revision" in result.output


def test_impact_is_the_same_on_both_engines(history, tmp_path, neo4j_settings):
    from kg.diff import compare
    from kg.diff.impact import attach_impacts, scratch_graph
    from kg.loaders import load_repo
    from kg.store import Neo4jStore

    name = f"diff-{uuid.uuid4().hex[:8]}"
    sides = {}
    for tag in ("image-overlay", "vault-path"):
        folder = tmp_path / tag
        folder.mkdir()
        archive = subprocess.run(["git", "-C", str(history), "archive", tag], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        sides[tag] = load_repo(folder, repo_name=name).graph
    embedded, neo4j = (
        compare(sides["image-overlay"], sides["vault-path"]),
        compare(sides["image-overlay"], sides["vault-path"]),
    )
    with scratch_graph(sides["vault-path"], name) as store:
        attach_impacts(store, embedded)
    with Neo4jStore(neo4j_settings) as store:
        store.ensure_schema()
        store.write(sides["vault-path"], name, None)
        try:
            attach_impacts(store, neo4j)
        finally:
            store.delete_repo(name)

    def rows(found):
        return {c.id: (c.impact.summary, [vars(r) for r in c.impact.rows]) for c in found.changes if c.impact}

    assert rows(embedded) == rows(neo4j)
    assert rows(neo4j)[f"{name}:platform-cluster/SecretProviderClass/corestate/vault-corestate"][0].startswith(
        "touches 1 workload"
    )


def test_a_side_that_does_not_render_is_exit_11_naming_it(history, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.yaml").write_text("just: notes\n")
    result = kg("diff", empty, history, "--repo-name", "platform", "--no-impact", code=11)
    assert result.output.startswith(f"kg: error: {empty}: ") and "no Flux cluster entry point" in result.output
    result = kg("diff", history, empty, "--repo-name", "platform", "--no-impact", code=11)
    assert result.output.startswith(f"kg: error: {empty}: ")
