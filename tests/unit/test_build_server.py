"""kg-kustomize-server (scripts/kustomize-server, loaders/build_server.py): every build of a
worker served by one long-lived kustomize process. It must answer exactly as the
kustomize CLI does, carry nothing from one build into the next, and keep the bounds a
one-shot build has: a timeout, a memory limit and Ctrl-C each end that build only, and
the next build gets a fresh server. Real kustomize throughout (scripts/kustomize-local
builds both binaries); hostile input is a real YAML alias bomb handed to kustomize
directly (kg's own check would refuse it before any build)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kg.loaders.build_server import BuildServer
from kg.loaders.kustomize import BUILD_SERVER, go_env, local_kustomize_dir
from kg.loaders.limits import BuildLimits, kill_running_children
from tests.helm_support import helm_unavailable
from tests.unit.test_bounded_builds import alias_bomb

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:1
        - name: sidecar
          image: side:1
"""
# a strategic-merge patch: with kustomize's built-in schema it merges `containers` by name
PATCH_APP_IMAGE = """\
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          spec:
            containers:
              - name: app
                image: app:2
"""
HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  interval: 10m
  values:
    replicas: 1
"""
# Flux's spec.patches on a custom resource: what makes a one-shot build parse the schema
PATCH_HELM_RELEASE = """\
patches:
  - target: {group: helm.toolkit.fluxcd.io, kind: HelmRelease}
    patch: |
      apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: not-used
      spec:
        install:
          crds: CreateReplace
"""


@pytest.fixture(scope="module")
def server_binary() -> str:
    built = local_kustomize_dir() / BUILD_SERVER
    if not os.access(built, os.X_OK) or not os.access(local_kustomize_dir() / "kustomize", os.X_OK):
        helm_unavailable("needs scripts/kustomize-local install (kustomize and kg-kustomize-server; .ci/run has both)")
    return str(built)


def server(binary: str, cwd: Path, limits: BuildLimits | None = None) -> BuildServer:
    limits = limits or BuildLimits()
    return BuildServer([binary], cwd, limits, go_env(limits.memory_mb, serving=True))


def kustomization(folder: Path, text: str, **files: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(text)
    for name, content in files.items():
        (folder / name.replace("_", ".")).write_text(content)
    return folder


def cli(folder: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(local_kustomize_dir() / "kustomize"), "build", "--load-restrictor", "LoadRestrictionsNone", str(folder)],
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout, done.stderr


def build(srv: BuildServer, folder: Path) -> tuple[int, str, str]:
    run = srv.run(["build", "--load-restrictor", "LoadRestrictionsNone", str(folder)])
    assert run.limit_hit is None and not run.interrupted
    return run.returncode, run.stdout, run.stderr


def bomb(tmp_path: Path) -> Path:
    return kustomization(tmp_path / "bomb", "resources: [cm.yaml]\n", cm_yaml=alias_bomb())


def test_every_build_answers_as_the_kustomize_cli_does_from_one_process(server_binary, tmp_path):
    folders = [
        kustomization(tmp_path / "merge", "resources: [deploy.yaml]\n" + PATCH_APP_IMAGE, deploy_yaml=DEPLOYMENT),
        kustomization(
            tmp_path / "flux-patch",
            "namespace: apps\nresources: [release.yaml]\nbuildMetadata: [originAnnotations]\n" + PATCH_HELM_RELEASE,
            release_yaml=HELM_RELEASE,
        ),
        kustomization(tmp_path / "missing", "resources: [absent.yaml]\n"),  # kustomize's error, as text
        kustomization(
            tmp_path / "deprecated", "commonLabels: {team: a}\nresources: [deploy.yaml]\n", deploy_yaml=DEPLOYMENT
        ),
    ]
    srv = server(server_binary, tmp_path)
    try:
        for _ in range(2):
            for folder in folders:
                assert build(srv, folder) == cli(folder), folder.name
        assert srv.starts == 1  # eight builds, one kustomize process
    finally:
        srv.close()
    assert cli(folders[2])[0] == 1 and "absent.yaml" in cli(folders[2])[2]


def test_a_custom_openapi_schema_ends_with_its_build(server_binary, tmp_path):
    """A kustomization's `openapi:` field replaces kustomize's process-wide schema: a CLI
    run ends there, the server must not merge the next build's patches with it."""
    custom = kustomization(
        tmp_path / "custom",
        "resources: [deploy.yaml]\nopenapi:\n  path: schema.json\n" + PATCH_APP_IMAGE,
        deploy_yaml=DEPLOYMENT,
        schema_json='{"definitions": {}}',
    )
    builtin = kustomization(
        tmp_path / "builtin", "resources: [deploy.yaml]\n" + PATCH_APP_IMAGE, deploy_yaml=DEPLOYMENT
    )
    expected = cli(builtin)
    assert "sidecar" in expected[1] and "sidecar" not in cli(custom)[1]  # the schema decides the merge
    srv = server(server_binary, tmp_path)
    try:
        assert build(srv, custom) == cli(custom)
        assert build(srv, builtin) == expected
    finally:
        srv.close()


def test_a_build_past_the_timeout_is_killed_and_the_next_build_gets_a_fresh_server(server_binary, tmp_path):
    ok = kustomization(tmp_path / "ok", "resources: [deploy.yaml]\n", deploy_yaml=DEPLOYMENT)
    srv = server(server_binary, tmp_path, BuildLimits(timeout_s=2.0, memory_mb=2048))
    try:
        started = time.perf_counter()
        hung = srv.run(["build", str(bomb(tmp_path))])
        assert hung.limit_hit is not None and hung.limit_hit.limit == "timeout"
        assert "KG_BUILD_TIMEOUT" in str(hung.limit_hit) and time.perf_counter() - started < 10
        assert build(srv, ok) == cli(ok) and srv.starts == 2
    finally:
        srv.close()


def test_a_build_past_the_memory_limit_ends_its_server_only(server_binary, tmp_path):
    ok = kustomization(tmp_path / "ok", "resources: [deploy.yaml]\n", deploy_yaml=DEPLOYMENT)
    srv = server(server_binary, tmp_path, BuildLimits(timeout_s=60.0, memory_mb=256))
    try:
        assert build(srv, ok) == cli(ok)
        greedy = srv.run(["build", str(bomb(tmp_path))])
        assert greedy.limit_hit is not None and greedy.limit_hit.limit == "memory", greedy.stderr[:300]
        assert build(srv, ok) == cli(ok) and srv.starts == 2
    finally:
        srv.close()


def test_an_interrupt_kills_the_server_mid_build(server_binary, tmp_path):
    srv = server(server_binary, tmp_path, BuildLimits(timeout_s=60.0, memory_mb=2048))
    threading.Timer(0.5, kill_running_children).start()  # what kg's SIGINT handler does
    try:
        started = time.perf_counter()
        stopped = srv.run(["build", str(bomb(tmp_path))])
        assert stopped.interrupted and stopped.limit_hit is None and time.perf_counter() - started < 10
    finally:
        srv.close()


def test_closing_ends_the_server(server_binary, tmp_path):
    ok = kustomization(tmp_path / "ok", "resources: [deploy.yaml]\n", deploy_yaml=DEPLOYMENT)
    srv = server(server_binary, tmp_path)
    build(srv, ok)
    process = srv._proc
    assert process is not None
    srv.close()
    assert process.poll() == 0  # it finished at the end of its input, not killed


def test_a_program_that_does_not_speak_the_protocol_fails_the_build_plainly(tmp_path):
    """A foreign or stale binary by the server's name (here a shell script that prints a
    usage text) fails each build with a message naming it, instead of stopping the load."""
    impostor = tmp_path / BUILD_SERVER
    impostor.write_text("#!/bin/sh\nread request\necho 'Usage: kustomize [command]'\nsleep 30\n")
    impostor.chmod(0o755)
    srv = server(str(impostor), tmp_path, BuildLimits(timeout_s=10.0, memory_mb=2048))
    try:
        started = time.perf_counter()
        answer = srv.run(["build", str(tmp_path)])
        assert answer.returncode != 0 and answer.limit_hit is None
        assert BUILD_SERVER in answer.stderr and "Usage: kustomize" in answer.stderr
        assert time.perf_counter() - started < 5  # not waiting for the timeout
    finally:
        srv.close()
