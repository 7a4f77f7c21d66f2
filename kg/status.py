"""`kg status load`: a cluster's live Flux status onto the graph.

Reads the snapshot (files, or `kubectl get ... -A -o json` run here with the user's
kubeconfig: read-only, no other credentials), matches it to the graph of the cluster
(loaders/status.py does the pure part) and has the store replace the cluster's
previous status layer atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg import cypher_files, run_cypher
from kg.errors import KgError, NotFound, UsageError
from kg.loaders import status as live_status
from kg.schema import label_for_kind
from kg.store.base import Store

# How long one `kubectl get` may take before kg gives up on the API server.
KUBECTL_TIMEOUT_SECONDS = float(os.environ.get("KG_KUBECTL_TIMEOUT", "60"))
# Kinds of graph nodes a snapshot can speak for (their revisions compare with the repo's).
_REVISION_KINDS = ("Kustomization", "GitRepository")


# `kubectl` missing, an unknown context, the API server refusing: a KgError (exit code 1)
KubectlError = KgError


def snapshot_time(paths: list[Path]) -> str:
    """When the snapshot was taken: the newest file's modification time (kubectl wrote it)."""
    newest = max(p.stat().st_mtime for p in paths)
    return datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _kubectl_get(kubectl: str, resources: tuple[str, ...], context: str | None) -> dict[str, Any]:
    command = [kubectl, "get", ",".join(resources), "--all-namespaces", "--output", "json"]
    if context:
        command += ["--context", context]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=KUBECTL_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        waited = f"{KUBECTL_TIMEOUT_SECONDS:.0f} s"
        raise KubectlError(f"kubectl get did not answer within {waited} (KG_KUBECTL_TIMEOUT)") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), f"exit code {done.returncode}")
        lowered = done.stderr.lower()
        if "context" in lowered and ("does not exist" in lowered or "no context exists" in lowered):
            raise KubectlError(
                f"kubectl knows no context {context!r} (`kubectl config get-contexts` lists them): {first}"
            )
        raise KubectlError(f"the Kubernetes API refused `kubectl get`: {first}")
    try:
        parsed: dict[str, Any] = json.loads(done.stdout)
        return parsed
    except json.JSONDecodeError:
        raise KubectlError("kubectl get printed something that is not JSON") from None


def read_files(paths: list[Path]) -> list[dict[str, Any]]:
    """The live objects of snapshot files (`kubectl get -o json|yaml`, gzip'd or not)."""
    objects: list[dict[str, Any]] = live_status.read_files(paths)
    return objects


def read_live(context: str | None) -> list[dict[str, Any]]:
    """Run `kubectl get <Flux kinds and workloads> -A -o json` (read-only)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KubectlError(
            "kubectl is not on PATH: install it, or save a snapshot elsewhere with "
            "`kubectl get kustomizations,helmreleases,gitrepositories,... -A -o json > snapshot.json` "
            "and run `kg status load snapshot.json --cluster NAME`"
        )

    def get(resources: tuple[str, ...]) -> list[dict[str, Any]]:
        read: list[dict[str, Any]] = live_status.read_bytes(
            json.dumps(_kubectl_get(kubectl, resources, context)).encode(), "kubectl"
        )
        return read

    objects = get(live_status.KUBECTL_RESOURCES)
    for resource in live_status.OPTIONAL_KUBECTL_RESOURCES:  # the Flux Operator's, when installed
        try:
            objects += get((resource,))
        except KubectlError:
            continue
    return objects


def build(
    store: Store, cluster: str, objects: list[dict[str, Any]], snapshot_at: str, source: str, repo: str | None = None
) -> live_status.StatusLayer:
    """Match the snapshot to the graph of the cluster (refused when the graph has no such cluster)."""
    params = {"cluster": cluster, "repo": repo, "kinds": list(live_status.STATUS_KINDS)}
    rows = store.query(cypher_files.text("status/graph_nodes.cypher"), params)
    if not rows:
        clusters = sorted({r["cluster"] for r in store.query(cypher_files.text("status/clusters.cypher"))})
        raise NotFound(
            f"no cluster {cluster!r} in the graph (loaded: {', '.join(clusters) or 'none'}): "
            "name the cluster as `kg load` did, or load the repository first"
        )
    repos = sorted({r["repo"] for r in rows})
    if len(repos) > 1:
        listing = ", ".join(repos)
        raise UsageError(f"cluster {cluster!r} is in several loaded repositories ({listing}): name one with --repo")
    graph = [
        live_status.GraphObject(
            id=r["id"],
            label=label_for_kind(r["kind"]) or r["kind"],
            kind=r["kind"],
            namespace=r["namespace"] or "",
            name=r["name"],
            repo_revision=r["repo_revision"] if r["kind"] in _REVISION_KINDS else None,
        )
        for r in rows
    ]
    edges = live_status.Edges()
    for row in run_cypher.run(store, cypher_files.load("status/graph_edges.cypher"), params):
        edges.add(row["type"], row["start_id"], row["end_id"])
    return live_status.build_layer(repos[0], cluster, objects, graph, edges, snapshot_at, source)


def load(
    store: Store, cluster: str, objects: list[dict[str, Any]], snapshot_at: str, source: str, repo: str | None = None
) -> dict[str, Any]:
    layer = build(store, cluster, objects, snapshot_at, source, repo)
    written = store.write_status(layer)
    return {**layer.snapshot, **{k: v for k, v in written.items() if k in ("seconds", "load_tag")}}
