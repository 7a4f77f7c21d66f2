"""Two GraphDocs of one repository (BASE and HEAD) -> the changes between them, per cluster.

Generic over labels and properties: a node is compared by id and by every property
(except bookkeeping: ids, load tags, source files, generated hashes), a relationship by
(type, start, end, key) and its properties, so a label or property the schema gains is
diffed without a change here. What the diff knows about particular labels is only how
to name and classify a change (categories), and what a reviewer must look at first.

Relationship changes are told on their start node ("now MOUNTS SecretProviderClass x"),
unless that node is itself added or removed (then they go without saying).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from kg.graphdoc import GraphDoc, Node, Rel, dependency_cycles

# Bookkeeping, not meaning: never a change on their own
# tree_depth and dependency_cycle are derived at load from the graph's shape: a moved or
# added Kustomization is reported itself (and a new cycle as a cycle), not as depths below it
IGNORED_PROPERTIES = frozenset(
    {"id", "load_tag", "source_file", "generated_name", "repo", "rel_key", "tree_depth", "dependency_cycle"}
)
# A count that follows from objects reported themselves
IGNORED_BY_LABEL = frozenset({("Kustomization", "resources"), ("HelmRelease", "rendered_objects")})
SKIPPED_LABELS = frozenset({"Repo", "LiveStatus", "StatusSnapshot"})
# Relationships told by a property already (depends_on, namespace, keys) or bookkeeping
SKIPPED_RELS = frozenset({"HAS_CLUSTER", "STATUS_OF", "IN_NAMESPACE", "DEPENDS_ON", "HAS_KEY", "WAITS_ON", "NESTS"})

# the owner of an added or removed object: the object's own change says it
OWNERSHIP_RELS = frozenset({"MANAGES", "ROOT"})
# bookkeeping of an object that points at an added or removed one (a variable defined by a
# removed Kustomization, a Service selecting a removed workload): told by that object's change
FOLDED_RELS = frozenset({"DEFINED_BY", "SELECTS"}) | OWNERSHIP_RELS

CATEGORIES = ("flux", "workloads", "config", "secrets", "dependencies")
LABEL_CATEGORY = {
    **dict.fromkeys(("Cluster", "Kustomization", "HelmRelease", "Source", "ResourceSet"), "flux"),
    **dict.fromkeys(("Workload", "Service", "Namespace"), "workloads"),
    **dict.fromkeys(
        ("Secret", "SecretProviderClass", "VaultPath", "ExternalSecret", "SecretStore", "SecretBackend"), "secrets"
    ),
}
# any other label (ConfigMap, ConfigKey, Variable, settings...) is configuration
DEFAULT_CATEGORY = "config"
SECRET_LABELS = frozenset(label for label, category in LABEL_CATEGORY.items() if category == "secrets")
SECRET_RELS = frozenset({"MOUNTS", "FETCHES", "SYNCS", "VIA", "BACKED_BY"})
# where a secret is read from: a change here is looked at first
SECRET_LOCATION_LABELS = frozenset({"SecretProviderClass", "ExternalSecret", "VaultPath", "SecretStore"})
DEPENDENCY_FIELDS = frozenset({"depends_on"})
IMAGE_FIELDS = frozenset({"images"})
# an image in Helm values (values.app.image.tag, values.image): the chart's workloads change image
_VALUES_IMAGE = re.compile(r"^values\.(.*\.)?images?(\.(tag|repository|digest|name))?$")


def is_image_field(name: str) -> bool:
    return name in IMAGE_FIELDS or bool(_VALUES_IMAGE.match(name))


# values never shown: a node marked redacted (a variable from a Secret) keeps them out
VALUE_FIELDS = frozenset({"value", "value_raw"})
REDACTED = "(redacted)"
DANGLING = "referenced but not defined"

DEFAULT_PRODUCTION = r"(^|[-_.])(prod|production|prd)($|[-_.])"


@dataclass
class FieldChange:
    """One field of an object: a property (`values.image.tag` inside JSON values), or a
    relationship (`MOUNTS SecretProviderClass vault-papi`). For lists, what was added and
    removed; `before`/`after` are None where the field is absent on that side."""

    field: str
    before: Any = None
    after: Any = None
    added: list[Any] = dataclass_field(default_factory=list)
    removed: list[Any] = dataclass_field(default_factory=list)
    relationship: str = ""  # the relationship type, for a relationship field

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "before": self.before, "after": self.after}
        if self.added or self.removed:
            out["added"], out["removed"] = self.added, self.removed
        if self.relationship:
            out["relationship"] = self.relationship
        return out


@dataclass
class ImpactRow:
    cluster: str
    impact: str
    kind: str
    name: str
    namespace: str
    reason: str


@dataclass
class Impact:
    """The blast radius of a changed object in HEAD (`kg ask blast-radius` on it)."""

    summary: str
    rows: list[ImpactRow]


@dataclass
class Change:
    cluster: str
    action: str  # added, removed, changed
    label: str
    kind: str
    namespace: str
    name: str
    id: str
    categories: list[str]
    fields: list[FieldChange] = dataclass_field(default_factory=list)
    look_first: list[str] = dataclass_field(default_factory=list)  # why a reviewer looks here first
    impact: Impact | None = None

    @property
    def title(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "action": self.action,
            "label": self.label,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "id": self.id,
            "categories": self.categories,
            "look_first": self.look_first,
            "fields": [f.as_dict() for f in self.fields],
            "impact": None
            if self.impact is None
            else {"summary": self.impact.summary, "rows": [vars(r) for r in self.impact.rows]},
        }


@dataclass
class Cycle:
    cluster: str
    members: list[str]  # "Kind namespace/name", in dependsOn order, the first repeated last

    def as_dict(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "members": self.members}


@dataclass
class Diff:
    changes: list[Change]
    cycles: list[Cycle]  # dependsOn cycles HEAD has and BASE had not
    impacts_skipped: int = 0  # changes left without an impact (--impact-limit)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.cycles

    def clusters(self) -> list[str]:
        return sorted({c.cluster for c in self.changes} | {c.cluster for c in self.cycles})


# -- values ---------------------------------------------------------------------------
def _json_object(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


_MISSING = object()


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}", out)
    else:
        out[prefix] = value


def _leaf_changes(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """JSON values (HelmRelease values, a Kustomization's overlay) compared leaf by leaf."""
    flat_before: dict[str, Any] = {}
    flat_after: dict[str, Any] = {}
    if before:
        _flatten(before, name, flat_before)
    if after:
        _flatten(after, name, flat_after)
    changes = []
    for key in sorted(set(flat_before) | set(flat_after)):
        b, a = flat_before.get(key, _MISSING), flat_after.get(key, _MISSING)
        if b != a:
            changes.append(FieldChange(key, None if b is _MISSING else b, None if a is _MISSING else a))
    return changes


def _property_changes(label: str, before: dict[str, Any], after: dict[str, Any], redacted: bool) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        if key in IGNORED_PROPERTIES or (label, key) in IGNORED_BY_LABEL:
            continue
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if redacted and key in VALUE_FIELDS:
            changes.append(FieldChange(key, REDACTED if b is not None else None, REDACTED if a is not None else None))
            continue
        jb, ja = _json_object(b), _json_object(a)
        if (jb is not None or b is None) and (ja is not None or a is None) and (jb or ja):
            changes.extend(_leaf_changes(key, jb or {}, ja or {}))
            continue
        if isinstance(b, str) and isinstance(a, str) and ("\n" in a or "\n" in b):
            # a file held in a key (config.alloy): the lines that changed, not the whole text
            before_lines, after_lines = b.splitlines(), a.splitlines()
            matcher = difflib.SequenceMatcher(a=before_lines, b=after_lines, autojunk=False)
            removed, added = [], []
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag != "equal":
                    removed += before_lines[i1:i2]
                    added += after_lines[j1:j2]
            changes.append(FieldChange(key, None, None, added, removed))
            continue
        if isinstance(b, list) or isinstance(a, list):
            lb, la = list(b or []), list(a or [])
            added = [x for x in la if x not in lb]
            removed = [x for x in lb if x not in la]
            if not added and not removed:
                continue  # the same items in another order: Kubernetes lists of names, keys
            changes.append(FieldChange(key, b, a, added, removed))
            continue
        changes.append(FieldChange(key, b, a))
    return changes


# -- relationships ----------------------------------------------------------------------
def _node_caption(node: Node | None, fallback: str) -> str:
    if node is None:
        return fallback
    namespace = node.props.get("namespace")
    name = node.props.get("name") or node.id
    return f"{node.props.get('kind') or node.label} {namespace + '/' if namespace else ''}{name}"


def _rel_props(rel: Rel) -> dict[str, Any]:
    return {k: v for k, v in rel.props.items() if k not in IGNORED_PROPERTIES}


def _rel_field(rel: Rel, base: GraphDoc, head: GraphDoc) -> str:
    end = head.nodes.get(rel.end) or base.nodes.get(rel.end)
    caption = _node_caption(end, rel.end)
    return f"{rel.type} {caption}" + (f" [{rel.rel_key}]" if rel.rel_key else "")


# -- the diff ---------------------------------------------------------------------------
def _present(node: Node | None) -> bool:
    """Defined in the repository (a placeholder is only referenced)."""
    return node is not None and not node.props.get("missing")


def _category(label: str) -> str:
    return LABEL_CATEGORY.get(label, DEFAULT_CATEGORY)


def compare(base: GraphDoc, head: GraphDoc, production: str = DEFAULT_PRODUCTION) -> Diff:
    """The changes from BASE to HEAD. `production`: a pattern of cluster names whose image
    changes are looked at first."""
    production_re = re.compile(production)
    changes: dict[str, Change] = {}

    def change_for(node_id: str) -> Change:
        if node_id in changes:
            return changes[node_id]
        old, new = base.nodes.get(node_id), head.nodes.get(node_id)
        node = new if new is not None else old
        assert node is not None
        if _present(new) and not _present(old) or (old is None and new is not None):
            action = "added"
        elif _present(old) and not _present(new):
            action = "removed"
        else:
            action = "changed"
        props = node.props
        change = Change(
            cluster=str(props.get("cluster") or ""),
            action=action,
            label=node.label,
            kind=str(props.get("kind") or node.label),
            namespace=str(props.get("namespace") or ""),
            name=str(props.get("name") or node.id),
            id=node_id,
            categories=[_category(node.label)],
        )
        changes[node_id] = change
        return change

    for node_id in sorted(set(base.nodes) | set(head.nodes)):
        old, new = base.nodes.get(node_id), head.nodes.get(node_id)
        label = (new or old).label  # type: ignore[union-attr]
        if label in SKIPPED_LABELS:
            continue
        if _present(old) != _present(new):
            change = change_for(node_id)
            if change.action == "removed" and new is not None:
                change.look_first.append("removed, still referenced")
            continue
        if old is None and new is not None:
            # referenced now, defined nowhere: a dangling reference the change introduces
            change_for(node_id).look_first.append(DANGLING)
            continue
        if old is None or new is None:
            continue  # a placeholder that went away with what referenced it
        redacted = bool(old.props.get("redacted") or new.props.get("redacted"))
        fields = _property_changes(label, old.props, new.props, redacted)
        if fields:
            change_for(node_id).fields.extend(fields)

    for key in sorted(set(base.rels) | set(head.rels)):
        old_rel, new_rel = base.rels.get(key), head.rels.get(key)
        rel = new_rel or old_rel
        assert rel is not None
        if rel.type in SKIPPED_RELS or rel.start_label in SKIPPED_LABELS:
            continue
        start_old, start_new = base.nodes.get(rel.start), head.nodes.get(rel.start)
        if _present(start_old) != _present(start_new):
            continue  # the start node is added or removed: its relationships go with it
        if rel.type in OWNERSHIP_RELS and _present(base.nodes.get(rel.end)) != _present(head.nodes.get(rel.end)):
            continue  # an object added or removed is reported itself, not on what applies it
        before = _rel_props(old_rel) if old_rel else None
        after = _rel_props(new_rel) if new_rel else None
        if before == after:
            continue
        change = change_for(rel.start)
        change.fields.append(FieldChange(_rel_field(rel, base, head), before, after, relationship=rel.type))

    _fold_into_added_and_removed(changes, base, head)
    _fold_settings(changes, base, head)
    for change in changes.values():
        _classify(change, production_re)
    ordered = sorted(
        changes.values(),
        key=lambda c: (c.cluster, CATEGORIES.index(c.categories[0]), c.kind, c.namespace, c.name, c.id),
    )
    return Diff(ordered, new_cycles(base, head))


def _names(item: Any, titles: set[str]) -> bool:
    """A list item naming one of these objects: `Kustomization default/atuin (inline)`."""
    text = str(item)
    return text in titles or text.split(" (", 1)[0] in titles


def _fold_into_added_and_removed(changes: dict[str, Change], base: GraphDoc, head: GraphDoc) -> None:
    """A surviving object's change that only says it lost (or gained) an added or removed
    object (FOLDED_RELS, a list item naming it, as Variable.defined_in does) goes with that
    object's own change: one app removed is that app's objects, nothing else."""
    gone = {c.id for c in changes.values() if c.action != "changed"}
    titles = {c.title for c in changes.values() if c.action != "changed"}
    for node_id in [i for i, c in changes.items() if c.action == "changed"]:
        change = changes[node_id]
        kept = []
        for f in change.fields:
            if f.relationship in FOLDED_RELS:
                rel = next(
                    (r for r in (*base.rels_from(node_id, f.relationship), *head.rels_from(node_id, f.relationship))
                     if _rel_field(r, base, head) == f.field),
                    None,
                )  # fmt: skip
                if rel is not None and rel.end in gone:
                    continue
            if (f.added or f.removed) and not f.relationship:
                added = [x for x in f.added if not _names(x, titles)]
                removed = [x for x in f.removed if not _names(x, titles)]
                if not added and not removed:
                    continue
            kept.append(f)
        change.fields = kept
        if not kept and not change.look_first:
            del changes[node_id]


def _object_name(node: Node) -> str:
    """ "Kind/namespace/name" as a Setting's `object` names the object holding it."""
    props = node.props
    namespace = props.get("namespace")
    return (
        f"{props.get('kind')}/{namespace}/{props.get('name')}"
        if namespace
        else f"{props.get('kind')}/{props.get('name')}"
    )


def _fold_settings(changes: dict[str, Change], base: GraphDoc, head: GraphDoc) -> None:
    """A Setting is a view of one field of its object: when that object is itself added,
    removed or changed (its env, image, replicas or values say the same), the Setting's
    change goes with it. A Setting of an object kg keeps no node for (it hangs on the
    Kustomization applying it), or whose object shows no change of its own (a CronJob's
    args), is reported itself: it is the only record of that change."""
    holder_of = {
        rel.end: rel.start for graph in (base, head) for rel in graph.rels.values() if rel.type == "HAS_SETTING"
    }
    for node_id in [i for i, c in changes.items() if c.label == "Setting"]:
        holder = holder_of.get(node_id)
        if holder is None or holder not in changes:
            continue
        holder_change = changes[holder]
        setting = head.nodes.get(node_id) or base.nodes.get(node_id)
        holder_node = head.nodes.get(holder) or base.nodes.get(holder)
        if holder_change.action != "changed" or (
            setting is not None and holder_node is not None and setting.props.get("object") == _object_name(holder_node)
        ):
            del changes[node_id]


def _classify(change: Change, production: re.Pattern[str]) -> None:
    names = {f.field.split(".")[0] for f in change.fields}
    relationships = {f.relationship for f in change.fields if f.relationship}
    if names & DEPENDENCY_FIELDS:
        change.categories.append("dependencies")
    if relationships & SECRET_RELS or any(
        f.relationship == "USES" and " Secret " in f" {f.field} " for f in change.fields
    ):
        change.categories.append("secrets")
    change.categories = list(dict.fromkeys(change.categories))
    reasons = []
    if change.action == "removed" and not change.look_first:
        reasons.append("removed")
    if change.label in SECRET_LOCATION_LABELS and change.action != "added":
        reasons.append("secret lineage changed" if change.action == "changed" else "")
    if "FETCHES" in relationships:
        reasons.append("reads another secret location")
    if any(is_image_field(f.field) for f in change.fields) and production.search(change.cluster):
        reasons.append("image change in a production cluster")
    for f in change.fields:
        if f.field == "render_error" and f.after:
            reasons.append("no longer renders")
        if f.field == "unresolved_vars" and f.added:
            reasons.append("variables left unresolved: " + ", ".join(map(str, f.added)))
    change.look_first.extend(r for r in reasons if r and r not in change.look_first)


# -- dependsOn cycles -------------------------------------------------------------------------
def _cycles(graph: GraphDoc) -> dict[frozenset[str], list[str]]:
    """Every dependsOn cycle (as its member set, and one walk of it)."""
    edges = graph.adjacency("DEPENDS_ON")
    return {frozenset(members): _walk(members, edges) for members in dependency_cycles(edges)}


def _walk(members: list[str], edges: dict[str, list[str]]) -> list[str]:
    """The shortest cycle through the component's first member, back to it."""
    inside, start = set(members), members[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(edges.get(node, [])):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path)) + [start]
                if succ in inside and succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return [start, start]


def new_cycles(base: GraphDoc, head: GraphDoc) -> list[Cycle]:
    before = _cycles(base)
    cycles = []
    for members, walk in sorted(_cycles(head).items(), key=lambda item: item[1]):
        if members in before:
            continue
        nodes = [head.nodes.get(n) for n in walk]
        cluster = str((nodes[0].props.get("cluster") if nodes[0] else "") or "")
        cycles.append(Cycle(cluster, [_node_caption(n, i) for n, i in zip(nodes, walk)]))
    return cycles


# -- --fail-on policies ---------------------------------------------------------------------------
POLICIES = {
    "any": "any change",
    "removed": "an object removed (or still referenced but no longer defined), or a new reference to nothing",
    "secrets": "secret lineage changed: a Secret, SecretProviderClass, ExternalSecret, store or Vault path, or what a workload mounts or reads from them",
    "images": "a workload's image changed (or an image in HelmRelease values)",
    "production-images": "a workload's image changed in a production cluster (--production)",
    "dependencies": "dependsOn added or removed, or a cycle introduced",
    "cycles": "a dependsOn cycle introduced",
}


def failed_policies(diff: Diff, policies: list[str]) -> list[str]:
    """The policies the diff matches, in the order given."""
    checks = {
        "any": not diff.empty,
        "removed": any(c.action == "removed" or DANGLING in c.look_first for c in diff.changes),
        "secrets": any("secrets" in c.categories for c in diff.changes),
        "images": any(any(is_image_field(f.field) for f in c.fields) for c in diff.changes),
        "production-images": any("image change in a production cluster" in c.look_first for c in diff.changes),
        "dependencies": bool(diff.cycles) or any("dependencies" in c.categories for c in diff.changes),
        "cycles": bool(diff.cycles),
    }
    return [p for p in policies if checks[p]]
