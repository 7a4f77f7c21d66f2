"""The canned questions behind `kg ask`: one .cypher file each under cypher/ask/, with
a header that documents it:

    // question: where
    // summary: one line
    // targets: Workload, HelmRelease      labels NAME may resolve to (absent: no NAME)
    // single: true                        NAME must resolve to one object per label
    // shape: tree                         rows form a tree (columns id, parent_id)
    // empty: what zero rows means
    // param name: what the parameter means
    // param cluster: ... (optional)
    // columns: a, b, c
    // evidence: what the evidence column shows
    // order: a, b                         row order (kg sorts: union files have no ORDER BY);
                                           a column not in `columns` is a hidden sort key
    // sets: c                             columns of collect()ed lists, shown sorted
    // per: id, impact                     one row per (id, impact): the one with the least
    // least: hops, reason                   (hops, reason, evidence text); parts give candidates
    // evidence segments: evidence, evidence_to   the evidence joins, end to end, the shortest
                                           alternative of each column

Targets are resolved first (cypher/lookup/targets.cypher): NAME may be `name`,
`kind/name`, `namespace/name` or `kind/namespace/name`; `--cluster`/`--repo` narrow it.
The question then runs on the resolved node ids. Parameters always travel as query
parameters; user input never reaches query text.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from dataclasses import dataclass, field
from typing import Any


from kg import cypher_files, run_cypher
from kg.cypher_files import CypherFile
from kg.errors import NotFound, UsageError
from kg.evidence import PathTokens
from kg.store.base import QueryRunner, Store
from kg.schema import NODE_TYPES, label_for_kind


@dataclass
class Question:
    name: str
    summary: str
    params: dict[str, str]
    columns: list[str]
    evidence: str
    text: str
    file: CypherFile
    targets: list[str] = field(default_factory=list)
    single: bool = False
    shape: str = ""
    empty: str = ""
    order: list[str] = field(default_factory=list)
    per: list[str] = field(default_factory=list)
    least: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def takes_target(self) -> bool:
        return "name" in self.params


QUESTION_KEYS = (
    "question", "summary", "evidence", "shape", "empty", "sets", "evidence segments",
    "columns", "order", "per", "least", "targets", "single",
)  # fmt: skip


def parse_question(name: str, file: CypherFile) -> Question:
    """A question from its file's header; header lines that are no question key are notes."""
    return Question(
        name=name,
        summary=file.value("summary"),
        params=file.params(),
        columns=file.items("columns"),
        evidence=file.value("evidence"),
        text=file.text,
        file=file,
        targets=file.items("targets"),
        single=file.value("single").lower() == "true",
        shape=file.value("shape"),
        empty=file.value("empty"),
        order=file.items("order"),
        per=file.items("per"),
        least=file.items("least"),
        segments=file.items("evidence segments"),
        notes=[
            h.value if not h.key else f"{h.key}: {h.value}"
            for h in file.header
            if h.key not in QUESTION_KEYS and not h.key.startswith("param ")
        ],
    )


def catalogue() -> dict[str, Question]:
    return {name: parse_question(name, cypher_files.load(f"ask/{name}.cypher")) for name in cypher_files.listing("ask")}


# -- targets -----------------------------------------------------------------------
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
    if len(parts) >= 2 and label_for_kind(parts[0]):
        label = label_for_kind(parts[0])
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
        return {_label_of(row) or "" for row in self.candidates}


# How a question file finds its target: portable, and runnable as it is in Browser (the
# placeholder is a comment). An unlabelled node pattern scans every node of every
# repository in Neo4j, though; when the target has one label, kg fills the `target`
# placeholder with it (a label from the schema, never from the command line), so Neo4j
# seeks the id in that label's index. Not on an engine whose labels bind properties: a
# part may read a property another of its target kinds has.
TARGET_MATCH = "MATCH (t/*:{target}*/)\nWHERE t.id IN $ids"


def bind_target_label(file: CypherFile, labels: set[str]) -> str:
    if len(labels) != 1 or next(iter(labels)) not in NODE_TYPES or "target" not in file.optional_placeholders:
        return file.text
    return file.fill(target=next(iter(labels)))


def _label_of(row: dict[str, Any]) -> str | None:
    return label_for_kind(str(row.get("kind") or ""))


def resolve_target(store: QueryRunner, question: Question, text: str, cluster: str | None, repo: str | None) -> Target:
    spec = parse_target(text)
    lookups = [spec] if spec.name == text else [spec, TargetSpec(text)]
    accepted: list[dict[str, Any]] = []
    for candidate in lookups:
        accepted = _lookup(store, candidate, [l for l in question.targets if candidate.label in (None, l)], cluster, repo)
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
            rows += [r for r in found if candidate.label is None or _label_of(r) == candidate.label]
        _raise_not_found(store, question, text, rows, cluster, repo)
    if question.single:
        by_label: dict[str, list[dict[str, Any]]] = {}
        for row in accepted:
            by_label.setdefault(_label_of(row) or "", []).append(row)
        clashing = [rs for rs in by_label.values() if len(rs) > 1]
        if clashing:
            listing = ", ".join(_describe(r) for r in sorted(clashing[0], key=lambda r: r["id"]))
            raise NotFound(
                f"{text!r} is ambiguous: {listing}; qualify it as kind/name, namespace/name or kind/namespace/name, or use --cluster/--repo"
            )
    return Target(sorted({r["id"] for r in accepted}), accepted)


def _lookup(store: QueryRunner, spec: TargetSpec, labels: list[str], cluster: str | None, repo: str | None) -> list[dict[str, Any]]:
    """Candidates among some labels, each looked up through its name index."""
    params = {"name": spec.name, "namespace": spec.namespace, "cluster": cluster, "repo": repo}
    rows: list[dict[str, Any]] = []
    for label in labels:
        rows += store.query(cypher_files.load("lookup/target_by_label.cypher").fill(label=label), params)
        if label == "Workload":
            rows += store.query(cypher_files.text("lookup/workload_by_service.cypher"), params)
    unique = {r["id"]: r for r in rows if spec.kind is None or str(r.get("kind") or "").lower() == spec.kind.lower()}
    return [unique[i] for i in sorted(unique)]


def _describe(row: dict[str, Any]) -> str:
    scope = "/".join(p for p in (row.get("repo"), row.get("cluster")) if p)
    where = f"{row['namespace']}/" if row.get("namespace") else ""
    return f"{row.get('kind')} {where}{row.get('name')} ({scope})"


def _raise_not_found(
    store: QueryRunner, question: Question, text: str, rows: list[dict[str, Any]], cluster: str | None, repo: str | None
) -> None:
    if rows:
        kinds = sorted({str(r.get("kind")) for r in rows})
        raise NotFound(
            f"{text!r} is a {', '.join(kinds)}; `kg ask {question.name}` takes a {', '.join(question.targets)}"
        )
    names = store.query(cypher_files.text("lookup/names.cypher"), {"cluster": cluster, "repo": repo})
    known = sorted({r["name"] for r in names})
    close = difflib.get_close_matches(parse_target(text).name, known, n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    scope = f" in cluster {cluster}" if cluster else ""
    raise NotFound(f"nothing named {text!r}{scope} in the graph{hint}")


# -- answers -----------------------------------------------------------------------
def _alternative_text(alternative: Any) -> str:
    if isinstance(alternative, PathTokens):
        return format_token_segments([list(alternative.tokens)])
    return format_token_segments([list(p.tokens) for p in alternative if p is not None])


def format_path(path: Any) -> str:
    """Evidence text: Kind/name -[TYPE]-> Kind/name <-[TYPE]- ...

    A path is shown as it is. A list holds alternatives (what collect(p) gives where
    several paths explain a row): the shortest is shown, ties broken by text so every
    engine shows the same one. An alternative may itself be a list of segments that
    join end to end (queries return segments where one long path would be costly)."""
    if path is None:
        return ""
    if isinstance(path, PathTokens):
        return _alternative_text(path)
    alternatives = [a for a in path if a is not None and (isinstance(a, PathTokens) or any(isinstance(p, PathTokens) for p in a))]
    if not alternatives:
        return ""
    texts = [_alternative_text(a) for a in alternatives]
    return min(texts, key=lambda text: (text.count(" -[") + text.count(" <-["), text))


def _flip(arrow: str) -> str:
    return "<" + arrow[:-1] if arrow.endswith(">") else arrow[1:] + ">"


def format_token_segments(segments: list[list[str]]) -> str:
    """Evidence a query built as text: per segment, tokens "Kind/name -[TYPE]->" ... and
    a last "Kind/name"; segments are oriented and joined end to end like paths."""
    parsed = []
    for tokens in segments:
        nodes, arrows = [], []
        for token in tokens[:-1]:
            node, _, arrow = token.rpartition(" ")
            nodes.append(node)
            arrows.append(arrow)
        parsed.append((nodes + [tokens[-1]], arrows))

    def reverse(seg: tuple[list[str], list[str]]) -> tuple[list[str], list[str]]:
        return seg[0][::-1], [_flip(a) for a in seg[1][::-1]]

    nodes, arrows = parsed[0]
    if len(parsed) > 1 and nodes[-1] not in (parsed[1][0][0], parsed[1][0][-1]):
        nodes, arrows = reverse(parsed[0])
    for seg in parsed[1:]:
        if seg[0][0] != nodes[-1]:
            seg = reverse(seg)
        nodes, arrows = nodes + seg[0][1:], arrows + seg[1]
    parts = [nodes[0]]
    for arrow, node in zip(arrows, nodes[1:]):
        parts += [arrow, node]
    return " ".join(parts)


def _is_token_segments(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value)
        and all(isinstance(seg, list) and seg and all(isinstance(t, str) for t in seg) for seg in value)
    )


def _is_paths(value: Any) -> bool:
    """A list of paths (or of lists of path segments), possibly empty of anything else."""
    return isinstance(value, list) and bool(value) and all(
        v is None or isinstance(v, PathTokens) or (isinstance(v, list) and all(isinstance(p, PathTokens) or p is None for p in v))
        for v in value
    ) and any(v is not None for v in value)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value  # most cells: a large answer has tens of thousands
    if isinstance(value, PathTokens) or _is_paths(value):
        return format_path(value)
    if _is_token_segments(value):
        return format_token_segments(value)
    if isinstance(value, list):
        return [_cell(v) for v in value]
    return value


def _shortest(alternatives: Any) -> PathTokens | None:
    paths = [a for a in (alternatives if isinstance(alternatives, list) else [alternatives]) if isinstance(a, PathTokens)]
    return min(paths, key=lambda p: (len(p.tokens), p.tokens)) if paths else None


def _joined_segments(row: dict[str, Any], columns: list[str]) -> str:
    """The `evidence segments` header: the shortest alternative of each column, joined."""
    if isinstance(row.get(columns[0]), str):
        return row[columns[0]]  # evidence the query wrote as text
    chosen = [p for p in (_shortest(row.get(c)) for c in columns) if p is not None]
    return format_token_segments([list(p.tokens) for p in chosen]) if chosen else ""


def _least_per(rows: list[dict[str, Any]], per: list[str], least: list[str]) -> list[dict[str, Any]]:
    """The `per`/`least` headers: of the candidate rows of each group, the least by the
    `least` columns, then by evidence text (the same choice on every engine)."""
    best: dict[tuple, tuple[tuple, dict[str, Any]]] = {}
    for row in rows:
        group = tuple(str(row.get(c)) for c in per)
        rank = tuple(run_cypher.sort_key(row.get(c)) for c in least) + (str(row.get("evidence") or ""),)
        if group not in best or rank < best[group][0]:
            best[group] = (rank, row)
    return [row for _, row in best.values()]


@dataclass
class Answer:
    """A question's rows, each a dict over `columns` (missing cells are None)."""

    question: Question
    columns: list[str]
    rows: list[dict[str, Any]]
    target: Target | None = None

    @property
    def empty_message(self) -> str:
        return self.question.empty or "no rows"


def ask(store: Store, name: str, target: str | None, cluster: str | None = None, repo: str | None = None) -> Answer:
    questions = catalogue()
    if name not in questions:
        raise UsageError(f"unknown question {name!r}; known: {', '.join(questions)}")
    question = questions[name]
    params: dict[str, Any] = {"cluster": cluster, "repo": repo}
    resolved = None
    text = None
    if question.takes_target:
        if not target:
            raise UsageError(f"`kg ask {name}` needs a NAME")
        resolved = resolve_target(store, question, target, cluster, repo)
        params["ids"] = resolved.ids
        if not store.labels_bind_properties:
            text = bind_target_label(question.file, resolved.labels)
    rows = run_cypher.run(store, question.file, params, text)
    if question.segments:
        for row in rows:
            row[question.segments[0]] = _joined_segments(row, question.segments)
    rows = [{k: _cell(v) for k, v in row.items()} for row in rows]
    if question.per:
        rows = run_cypher.order_rows(_least_per(rows, question.per, question.least), question.order)
    columns = question.columns or list(dict.fromkeys(k for row in rows for k in row))
    rows = [{c: row.get(c) for c in columns} for row in rows]
    if question.shape == "tree":
        rows = tree_order(rows)
    return Answer(question, columns, rows, resolved)


def tree_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in depth-first order (parents before children, siblings by kind and name),
    with the name indented by depth, as `flux tree` prints."""
    ids = {row["id"] for row in rows}
    children: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent_id"] if row["parent_id"] in ids else "", []).append(row)
    order: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(parent: str) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: (str(r["kind"]), str(r["name"]))):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            order.append({**row, "name": "  " * int(row["depth"] - 1) + str(row["name"])})
            visit(row["id"])

    visit("")
    return order


def render(answer: Answer, fmt: str, width: int = 100) -> str:
    if fmt == "json":
        return json.dumps(answer.rows, indent=2, ensure_ascii=False, sort_keys=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([_csv_cell(row[c]) for c in answer.columns] for row in answer.rows)
        return out.getvalue()
    return render_table(answer.columns, answer.rows, width)


def _csv_cell(value: Any) -> Any:
    return "" if value is None else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_table(columns: list[str], rows: list[dict[str, Any]], width: int = 100) -> str:
    """Plain table; long columns (evidence, command) are printed under each row so the
    table stays readable at `width` columns."""
    if not rows:
        return "(no rows)"
    columns = [c for c in columns if c not in ("id", "parent_id")]
    if len(rows) == 1:
        # one answer: one field per line, nothing truncated
        label_width = max(len(str(c)) for c in columns)
        return "\n".join(f"{str(c):<{label_width}}  {_text(rows[0][c])}" for c in columns)
    # a column with one value for every row (often the cluster) becomes a header line
    lines: list[str] = []
    long_columns = [c for c in columns if c in ("evidence", "command")]
    constant = [c for c in columns if c not in long_columns and len({_text(row[c]) for row in rows}) == 1]
    if constant and len(constant) < len(columns) - len(long_columns):
        shown = [c for c in constant if _text(rows[0][c])]
        if shown:
            lines.append("  ".join(f"{c}: {_text(rows[0][c])}" for c in shown))
        columns = [c for c in columns if c not in constant]
    short = [c for c in columns if c not in long_columns]
    cells = [[_text(row[c]) for c in short] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(short)]
    budget = max(width - 2 * (len(short) - 1), 20)
    while sum(widths) > budget and max(widths) > 12:
        widths[widths.index(max(widths))] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    lines.append("  ".join(fit(c, w).ljust(w) for c, w in zip(short, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for cell_row, row in zip(cells, rows):
        lines.append("  ".join(fit(v, w).ljust(w) for v, w in zip(cell_row, widths)).rstrip())
        for column in long_columns:
            if _text(row[column]):
                lines.append(f"    {column}: {_text(row[column])}")
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
