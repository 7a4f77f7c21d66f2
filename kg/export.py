"""`kg export`: the graph flattened into the data files of the flux-infra-guide skill
(formats from the seed plan). Values come from export queries in cypher/export/.

Key policy for names that collide: an entry is keyed by its plain name when that name
is unique in the export; when several entries share it, all of them are keyed by the
shortest qualified form that tells them apart: `namespace/name`, then
`cluster/namespace/name`, then `cluster/namespace/name/kind-workload`. Nothing is
overwritten and the order is deterministic.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from kg import cypher_text
from kg.errors import KgError, NotFound
from kg.queries import QueryRunner

SKILL_DIR = "flux-infra-guide"


def _utc(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def generated_at(timestamp: str | None, repo_commit_time: str | None) -> str:
    """--timestamp, else SOURCE_DATE_EPOCH, else the repo's last commit time, else now."""
    if timestamp:
        try:
            return _utc(timestamp)
        except ValueError:
            raise KgError(f"--timestamp {timestamp!r} is not an ISO-8601 time (e.g. 2026-02-02T10:00:00Z)") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise KgError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    if repo_commit_time:
        return _utc(repo_commit_time)
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assign_keys(rows: list[dict[str, Any]], name: Callable[[dict[str, Any]], str], qualifiers: list[Callable[[dict[str, Any]], str]]) -> list[str]:
    """Keys per the module's collision policy, in the order of `rows`."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(name(row), []).append(i)
    keys = [""] * len(rows)
    for plain, members in groups.items():
        if len(members) == 1:
            keys[members[0]] = plain
            continue
        for qualify in qualifiers:
            candidates = [qualify(rows[i]) for i in members]
            if len(set(candidates)) == len(candidates):
                break
        for i, key in zip(members, candidates):
            keys[i] = key
    if len(set(keys)) != len(keys):
        raise KgError("export key policy produced duplicate keys; please report this with the repository layout")
    return keys


def resolve_repo(store: QueryRunner, repo: str | None) -> dict[str, Any]:
    if repo:
        rows = store.query(cypher_text.read("export/repo.cypher"), {"repo": repo})
        if not rows:
            raise NotFound(f"repository {repo!r} has not been loaded into this database (run `kg load`)")
        return rows[0]
    repos = store.query(cypher_text.read("db/repos.cypher"))
    if not repos:
        raise NotFound("the database holds no loaded repository: run `kg load PATH` first")
    if len(repos) > 1:
        names = ", ".join(r["repo"] for r in repos)
        raise KgError(f"several repositories are loaded ({names}): choose one with --repo")
    return store.query(cypher_text.read("export/repo.cypher"), {"repo": repos[0]["repo"]})[0]


def metadata(repo: dict[str, Any], timestamp: str | None, clusters: list[str] | None) -> dict[str, Any]:
    return {
        "generatedFrom": repo["name"],
        "generatedAt": generated_at(timestamp, repo.get("git_commit_time")),
        "gitRevision": repo.get("git_revision") or "",
        "fluxRepoPath": repo.get("path") or "",
        "clusters": clusters or repo.get("clusters") or [],
    }


def services_document(store: QueryRunner, repo: str, clusters: list[str] | None, meta: dict[str, Any]) -> dict[str, Any]:
    rows = store.query(cypher_text.read("export/services.cypher"), {"repo": repo, "clusters": clusters})
    keys = assign_keys(
        rows,
        lambda r: r["service"],
        [
            lambda r: f"{r['namespace']}/{r['service']}",
            lambda r: f"{r['cluster']}/{r['namespace']}/{r['service']}",
            lambda r: f"{r['cluster']}/{r['namespace']}/{r['service']}/{r['kind'].lower()}-{r['deployment']}",
        ],
    )
    services = {}
    for key, row in zip(keys, rows):
        flux_path = row.get("flux_path")
        services[key] = {
            "namespace": row["namespace"],
            "deployment": row["deployment"],
            "fluxPath": f"{flux_path}/" if flux_path else "",
            "kustomization": row.get("kustomization") or "",
            "description": row.get("description") or f"{row['kind']} {row['deployment']} in namespace {row['namespace']}",
            # additive fields
            "cluster": row["cluster"],
            "kind": row["kind"],
            "sourceFile": row.get("source_file") or "",
            "images": row.get("images") or [],
        }
    return {"services": services, "metadata": meta}


def dumps(document: dict[str, Any]) -> str:
    """Byte-stable JSON: sorted keys, two-space indent, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_files(store: QueryRunner, repo: str | None, clusters: list[str] | None, timestamp: str | None) -> dict[str, str]:
    """Relative path -> content of every exported file (nothing written yet)."""
    repo_row = resolve_repo(store, repo)
    meta = metadata(repo_row, timestamp, clusters)
    return {
        f"{SKILL_DIR}/data/services.json": dumps(services_document(store, repo_row["name"], clusters, meta)),
    }


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically (temp file + rename) once all contents are ready."""
    written = []
    for relative, content in sorted(files.items()):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, target)
        written.append(target)
    return written
