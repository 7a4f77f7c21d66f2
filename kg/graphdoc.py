"""GraphDoc: the plain records that flow from the loaders to a store.

Nodes have a label, an id and flat properties (scalars or lists of scalars, as
Neo4j properties must be); relationships have a type, two endpoint ids with their
labels, a `key` that tells apart parallel relationships of the same type, and flat
properties. Everything is kept in deterministic order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.schema import NODE_TYPES, REL_TYPES, node_properties, rel_properties

Scalar = str | int | float | bool


@dataclass
class Node:
    label: str
    id: str
    props: dict[str, Any]


@dataclass
class Rel:
    type: str
    start: str
    start_label: str
    end: str
    end_label: str
    rel_key: str = ""
    props: dict[str, Any] = field(default_factory=dict)


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop None/empty values and keep only values Neo4j can store as properties."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        if v is None or v == [] or v == "":
            continue
        if isinstance(v, (list, tuple)):
            items = [x for x in v if x is not None]
            if not all(isinstance(x, (str, int, float, bool)) for x in items):
                items = [str(x) for x in items]
            # a list property must be homogeneous
            if len({type(x) for x in items}) > 1:
                items = [str(x) for x in items]
            out[k] = list(items)
        elif isinstance(v, (str, int, float, bool)):
            out[k] = v
        else:
            out[k] = str(v)
    return out


class UndeclaredProperty(ValueError):
    """A loader emitted a property kg/schema.py does not declare: declare it there (the
    embedded engine's tables and docs/schema.md follow), so both engines keep it."""


def _check_declared(owner: str, declared: tuple[str, ...], props: dict[str, Any]) -> None:
    unknown = sorted(set(props) - set(declared))
    if unknown:
        raise UndeclaredProperty(
            f"{owner} has no declared propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} (kg/schema.py)"
        )


class GraphDoc:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.rels: dict[tuple[str, str, str, str], Rel] = {}
        # endpoints referenced before (or without) being defined: id -> (label, props)
        self._stubs: dict[str, tuple[str, dict[str, Any]]] = {}

    # -- nodes -----------------------------------------------------------------
    def add_node(self, label: str, node_id: str, **props: Any) -> Node:
        """Add or complete a node. Properties already set win over later ones, except
        that a real definition replaces a placeholder."""
        if label not in NODE_TYPES:
            raise ValueError(f"unknown label {label!r}")
        _check_declared(label, node_properties(label), props)
        props = _clean(props)
        existing = self.nodes.get(node_id)
        if existing is None:
            node = Node(label, node_id, {"id": node_id, **props})
            self.nodes[node_id] = node
            return node
        if existing.label != label:
            raise ValueError(f"node {node_id} defined as {existing.label} and {label}")
        if existing.props.get("missing") and not props.get("missing"):
            existing.props.pop("missing", None)
            existing.props.update(props)
        else:
            for k, v in props.items():
                existing.props.setdefault(k, v)
        return existing

    def ref(self, label: str, node_id: str, **props: Any) -> tuple[str, str]:
        """Reference a node that may be defined elsewhere; if it never is, finalize()
        creates it as a placeholder with `missing: true` (a dangling reference)."""
        if label not in NODE_TYPES:
            raise ValueError(f"unknown label {label!r}")
        _check_declared(label, node_properties(label), props)
        if node_id not in self.nodes and node_id not in self._stubs:
            self._stubs[node_id] = (label, _clean(props))
        return (label, node_id)

    # -- relationships ---------------------------------------------------------
    def add_rel(
        self, rel_type: str, start: tuple[str, str], end: tuple[str, str], rel_key: str = "", **props: Any
    ) -> Rel:
        if rel_type not in REL_TYPES:
            raise ValueError(f"unknown relationship type {rel_type!r}")
        _check_declared(rel_type, rel_properties(rel_type), props)
        (start_label, start_id), (end_label, end_id) = start, end
        ident = (rel_type, start_id, end_id, rel_key)
        rel = self.rels.get(ident)
        if rel is None:
            rel = Rel(rel_type, start_id, start_label, end_id, end_label, rel_key, _clean(props))
            self.rels[ident] = rel
        else:
            for k, v in _clean(props).items():
                rel.props.setdefault(k, v)
        return rel

    # -- output ----------------------------------------------------------------
    def finalize(self) -> GraphDoc:
        """Materialise placeholders for every referenced-but-undefined endpoint."""
        for node_id, (label, props) in sorted(self._stubs.items()):
            if node_id not in self.nodes:
                self.add_node(label, node_id, missing=True, **props)
        self._stubs.clear()
        for rel in self.rels.values():
            for node_id in (rel.start, rel.end):
                if node_id not in self.nodes:
                    raise ValueError(f"relationship {rel.type} points at unknown node {node_id}")
        return self

    def sorted_nodes(self) -> list[Node]:
        return sorted(self.nodes.values(), key=lambda n: (n.label, n.id))

    def sorted_rels(self) -> list[Rel]:
        return sorted(self.rels.values(), key=lambda r: (r.type, r.start_label, r.end_label, r.start, r.end, r.rel_key))

    def by_label(self, label: str) -> list[Node]:
        return [n for n in self.sorted_nodes() if n.label == label]

    def find(self, label: str, name: str) -> list[Node]:
        return [n for n in self.by_label(label) if n.props.get("name") == name]

    def rels_from(self, node_id: str, rel_type: str | None = None) -> list[Rel]:
        return [r for r in self.sorted_rels() if r.start == node_id and (rel_type is None or r.type == rel_type)]

    def rels_to(self, node_id: str, rel_type: str | None = None) -> list[Rel]:
        return [r for r in self.sorted_rels() if r.end == node_id and (rel_type is None or r.type == rel_type)]

    def adjacency(self, rel_type: str, start_prefix: str = "") -> dict[str, list[str]]:
        """Start id -> end ids of one relationship type (starts whose id begins with
        `start_prefix` only: one cluster's, `repo:cluster/`)."""
        out: dict[str, list[str]] = {}
        for rel in self.rels.values():
            if rel.type == rel_type and rel.start.startswith(start_prefix):
                out.setdefault(rel.start, []).append(rel.end)
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.label] = out.get(n.label, 0) + 1
        return dict(sorted(out.items()))


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (a dependsOn chain of
    thousands must not hit Python's recursion limit); deterministic for sorted input."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, []))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(edges.get(target, [])))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return components


def dependency_cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components that are cycles: more than one member, or one
    that references itself (sorted members; the load marks them, `kg diff` reports new ones)."""
    return [c for c in strongly_connected(edges) if len(c) > 1 or c[0] in edges.get(c[0], [])]
