"""What each change can break: the blast radius of the changed object in HEAD, exactly as
`kg ask blast-radius` answers it (cypher/ask/blast-radius.cypher), summarised.

`kg diff` writes HEAD's GraphDoc into a temporary embedded graph for this (your graph,
embedded or Neo4j, is never touched); `attach_impacts` takes any store, so the same
answer comes from Neo4j holding the same graph (tests check both)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kg.config import EmbeddedSettings
from kg.diff.compare import Diff, Impact, ImpactRow
from kg.graphdoc import GraphDoc
from kg.questions import ask_ids, catalogue
from kg.schema import WORKLOAD_KINDS
from kg.store.base import Store

QUESTION = "blast-radius"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summarise(rows: list[ImpactRow]) -> str:
    """ "touches 3 workloads in 2 clusters; 5 Kustomizations wait on it or are applied by it"."""
    if not rows:
        return "nothing depends on it"
    workloads = {(r.cluster, r.namespace, r.name) for r in rows if r.kind in WORKLOAD_KINDS}
    clusters = {r.cluster for r in rows if r.kind in WORKLOAD_KINDS}
    waiting = {(r.cluster, r.namespace, r.name) for r in rows if r.reason.startswith("waits on")}
    delivered = {
        (r.cluster, r.kind, r.namespace, r.name)
        for r in rows
        if r.impact == "delivery" and r.kind in ("Kustomization", "HelmRelease") and not r.reason.startswith("waits on")
    }
    parts = [
        f"touches {plural(len(workloads), 'workload')} in {plural(len(clusters), 'cluster')}"
        if workloads
        else "touches no workload"
    ]
    if waiting:
        parts.append(f"{plural(len(waiting), 'Flux object')} wait{'s' if len(waiting) == 1 else ''} on it")
    if delivered:
        parts.append(f"it applies {plural(len(delivered), 'Flux object')}")
    objects = {(r.cluster, r.kind, r.namespace, r.name) for r in rows}
    parts.append(f"{plural(len(objects), 'object')} impacted in all")
    return "; ".join(parts)


def _rows(store: Store, node_id: str, label: str, via: str = "") -> list[ImpactRow]:
    answer = ask_ids(store, QUESTION, [node_id], label)
    return [
        ImpactRow(
            cluster=str(r.get("cluster") or ""),
            impact=str(r.get("impact") or ""),
            kind=str(r.get("kind") or ""),
            name=str(r.get("name") or ""),
            namespace=str(r.get("namespace") or ""),
            reason=via + str(r.get("reason") or ""),
        )
        for r in answer.rows
    ]


def attach_impacts(store: Store, diff: Diff, head: GraphDoc | None = None, limit: int | None = None) -> int:
    """Each change to an object HEAD still has (and blast-radius can target) gets its impact.
    With HEAD's GraphDoc, a change to where a variable is defined (a cluster-vars key, a
    Kustomization's inline substitute) also carries the variable's impact: one value
    changed in one place reaches every setting it fills. `limit`: at most that many
    changes get one, those to look at first before the others (each is one question on
    the graph). Returns how many changes that could have one were left without."""
    targets = set(catalogue()[QUESTION].targets)
    wanted = [
        c
        for c in diff.changes
        if c.label in targets and (c.action != "removed" or "removed, still referenced" in c.look_first)
    ]
    wanted.sort(key=lambda c: not c.look_first)  # stable: look-first changes, then the rest in order
    skipped = wanted[limit:] if limit is not None else []
    for change in wanted[: len(wanted) - len(skipped)]:
        rows = _rows(store, change.id, change.label)
        seen = {(r.cluster, r.kind, r.namespace, r.name, r.impact) for r in rows}
        definitions = head.rels_to(change.id, "DEFINED_BY") if head is not None else []
        for rel in definitions:
            variable = head.nodes[rel.start] if head is not None else None
            if variable is None:
                continue
            for row in _rows(store, rel.start, rel.start_label, f"through variable {variable.props.get('name')}: "):
                key = (row.cluster, row.kind, row.namespace, row.name, row.impact)
                if key not in seen:
                    seen.add(key)
                    rows.append(row)
        if change.label == "Workload" and change.action != "removed":
            # a changed workload is touched itself (rolled out), whatever depends on it
            rows.insert(
                0, ImpactRow(change.cluster, "changed", change.kind, change.name, change.namespace, "changed itself")
            )
        change.impact = Impact(summarise(rows), rows)
    return len(skipped)


@contextlib.contextmanager
def scratch_graph(graph: GraphDoc, repo: str) -> Iterator[Store]:
    """HEAD's graph in a temporary embedded graph file, removed afterwards."""
    from kg.store.embedded_store import EmbeddedStore

    with tempfile.TemporaryDirectory(prefix="kg-diff-graph-") as tmp:
        with EmbeddedStore(EmbeddedSettings(Path(tmp) / "graph")) as store:
            store.ensure_schema()
            store.write(graph, repo, None)
            yield store
