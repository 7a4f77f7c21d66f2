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
    // group: impact, namespace            on a terminal: a section per impact, rows run by namespace
    // keep: name, reason                  on a terminal: columns never cut or wrapped
    // below: command                      on a terminal: a line of its own under each row

Targets are resolved first (cypher/lookup/targets.cypher): NAME may be `name`,
`kind/name`, `namespace/name` or `kind/namespace/name`; `--cluster`/`--repo` narrow it.
The question then runs on the resolved node ids. Parameters always travel as query
parameters; user input never reaches query text.
"""

from __future__ import annotations

from kg.questions.answer import TARGET_MATCH, Answer, ask, ask_ids, bind_target_label, tree_order
from kg.questions.catalogue import Question, catalogue
from kg.questions.render import render
from kg.questions.targets import Target, TargetSpec, parse_target, resolve_target

__all__ = [
    "TARGET_MATCH", "Answer", "Question", "Target", "TargetSpec",
    "ask", "ask_ids", "bind_target_label", "catalogue", "parse_target", "render", "resolve_target", "tree_order",
]  # fmt: skip
