"""Targets of a question: NAME as typed (`name`, `kind/name`, `namespace/name`,
`kind/namespace/name`) resolved to node ids through cypher/lookup/, with near-name
suggestions when nothing matches. NAME always travels as a query parameter."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kg import cypher_files
from kg.errors import NotFound, UsageError
from kg.questions.catalogue import Question
from kg.schema import label_for_kind
from kg.store.base import QueryRunner


def with_article(word: str) -> str:
    """ "a Secret", "an ExternalSecret"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


@dataclass(frozen=True)
class TargetSpec:
    name: str
    label: str | None = None  # from a kind/label prefix
    kind: str | None = None  # the exact kind when the prefix named one (Deployment)
    namespace: str | None = None


def parse_target(text: str) -> TargetSpec:
    """`name`, `kind/name`, `namespace/name` or `kind/namespace/name`. A first segment
    that names a kind or label is a kind; otherwise it is a namespace. Vault paths
    (`shared/data/secrets`) are names with slashes: the lookup also tries the whole text."""
    text = text.strip()
    if not text:
        raise UsageError("an empty name matches nothing")
    parts = text.split("/")
    label = label_for_kind(parts[0]) if len(parts) >= 2 else None
    if label:
        kind = parts[0] if parts[0].lower() != label.lower() else None
        if len(parts) == 3 and label != "VaultPath":  # Vault paths hold slashes themselves
            return TargetSpec(parts[2], label, kind, parts[1])
        return TargetSpec("/".join(parts[1:]), label, kind)
    if len(parts) == 2:
        return TargetSpec(parts[1], namespace=parts[0])
    return TargetSpec(text)


@dataclass
class Target:
    ids: list[str]
    candidates: list[dict[str, Any]]

    @property
    def labels(self) -> set[str]:
        return {label_of(row) or "" for row in self.candidates}


def label_of(row: dict[str, Any]) -> str | None:
    return label_for_kind(str(row.get("kind") or ""))


def resolve_target(store: QueryRunner, question: Question, text: str, cluster: str | None, repo: str | None) -> Target:
    spec = parse_target(text)
    lookups = [spec] if spec.name == text else [spec, TargetSpec(text)]
    accepted: list[dict[str, Any]] = []
    for candidate in lookups:
        accepted = _lookup(
            store, candidate, [label for label in question.targets if candidate.label in (None, label)], cluster, repo
        )
        if accepted:
            break
    if not accepted:
        # not among the question's kinds: is it anything at all? (one scan of every node)
        rows = []
        for candidate in lookups:
            found = store.query(
                cypher_files.text("lookup/targets.cypher"),
                {"name": candidate.name, "namespace": candidate.namespace, "cluster": cluster, "repo": repo},
            )
            # a LiveStatus is named after the object it is the status of, in its own repo property
            found = [r for r in found if r.get("kind") != "LiveStatus"]
            found += store.query(
                cypher_files.text("lookup/live_status.cypher"),
                {"name": candidate.name, "namespace": candidate.namespace, "cluster": cluster, "repo": repo},
            )
            rows += [r for r in found if candidate.label is None or candidate.label in (label_of(r), _live_label(r))]
        _raise_not_found(store, question, text, rows, cluster, repo)
    if question.single:
        by_label: dict[str, list[dict[str, Any]]] = {}
        for row in accepted:
            by_label.setdefault(label_of(row) or "", []).append(row)
        clashing = [rs for rs in by_label.values() if len(rs) > 1]
        if clashing:
            clash = sorted(clashing[0], key=lambda r: r["id"])
            listing = ", ".join(_describe(r) for r in clash)
            raise NotFound(
                f"{text!r} is ambiguous: {listing}; qualify it as kind/name, namespace/name or kind/namespace/name, or use --cluster/--repo",
                candidates=clash,
            )
    return Target(sorted({r["id"] for r in accepted}), accepted)


def _lookup(
    store: QueryRunner, spec: TargetSpec, labels: list[str], cluster: str | None, repo: str | None
) -> list[dict[str, Any]]:
    """Candidates among some labels, each looked up through its name index."""
    params = {"name": spec.name, "namespace": spec.namespace, "cluster": cluster, "repo": repo}
    rows: list[dict[str, Any]] = []
    for label in labels:
        if label == "Workload":  # by name, service name or HelmRelease, in one statement
            rows += store.query(cypher_files.text("lookup/workloads.cypher"), params)
        else:
            rows += store.query(cypher_files.load("lookup/target_by_label.cypher").fill(label=label), params)
    unique = {r["id"]: r for r in rows if spec.kind is None or str(r.get("kind") or "").lower() == spec.kind.lower()}
    return [unique[i] for i in sorted(unique)]


def _live_label(row: dict[str, Any]) -> str | None:
    """The label of what a LiveStatus row is the status of (None for other rows)."""
    return label_for_kind(str(row["status_kind"])) if row.get("status_kind") else None


def _describe_command(row: dict[str, Any]) -> str:
    namespace = f" -n {row['namespace']}" if row.get("namespace") else ""
    return f"kubectl describe {str(row['status_kind']).lower()} {row['name']}{namespace}"


def _describe(row: dict[str, Any]) -> str:
    scope = "/".join(p for p in (row.get("repo"), row.get("cluster")) if p)
    where = f"{row['namespace']}/" if row.get("namespace") else ""
    return f"{row.get('kind')} {where}{row.get('name')} ({scope})"


def _raise_not_found(
    store: QueryRunner, question: Question, text: str, rows: list[dict[str, Any]], cluster: str | None, repo: str | None
) -> None:
    live_only = [r for r in rows if r.get("status_drift") == "live only"]
    if rows and len(live_only) == len(rows):
        first = live_only[0]
        where = f"{first['namespace']}/" if first.get("namespace") else ""
        raise NotFound(
            f"{text!r} is only in the cluster, not in the repository: {first['status_kind']} {where}{first['name']} "
            f"in {first.get('cluster')} (status snapshot: {first.get('status_reason') or 'live only'}). kg has no "
            f"repository graph to explain it (`kg ask problems` lists it as drift); look at it live: "
            f"{first.get('status_next') or _describe_command(first)}",
            candidates=rows,
        )
    if rows:
        kinds = sorted({str(r.get("kind")) for r in rows})
        raise NotFound(
            f"{text!r} is {with_article(', '.join(kinds))}; `kg ask {question.name}` takes {with_article(', '.join(question.targets))}",
            candidates=rows,
        )
    names = store.query(cypher_files.text("lookup/names.cypher"), {"cluster": cluster, "repo": repo})
    known = sorted({r["name"] for r in names})
    close = difflib.get_close_matches(parse_target(text).name, known, n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    scope = f" in cluster {cluster}" if cluster else ""
    raise NotFound(f"nothing named {text!r}{scope} in the graph{hint}", suggestions=close)
