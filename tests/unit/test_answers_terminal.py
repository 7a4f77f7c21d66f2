"""How a person reads an answer on a terminal: the summary first, rows grouped as the
question's header says, the meaning never cut, evidence only when asked for."""

from __future__ import annotations

from typing import Any

from kg.questions import Answer, catalogue
from kg.questions.render import render
from kg.questions.terminal import render_terminal


def answer(question: str, rows: list[dict[str, Any]]) -> Answer:
    q = catalogue()[question]
    return Answer(q, q.columns, [{c: row.get(c) for c in q.columns} for row in rows])


def impacted(impact: str, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
    reason = f"applied by Kustomization apps-{namespace or 'root'}-with-a-long-name, blocked while vault fails"
    return {
        "cluster": "c1",
        "impact": impact,
        "kind": kind,
        "name": name,
        "namespace": namespace,
        "reason": reason,
        "evidence": f"{kind}/{name} <-[MANAGES]- Kustomization/x -[DEPENDS_ON]-> Kustomization/v",
    }


BLAST = [
    impacted("delivery", "Deployment", "api", "b"),
    impacted("delivery", "Kustomization", "apps", "flux-system"),
    impacted("delivery", "Deployment", "web", "a"),
    impacted("delivery", "Namespace", "a", None),
    impacted("runtime", "Deployment", "api", "b"),
    impacted("runtime", "StatefulSet", "db", "c"),
]


def test_blast_radius_says_what_it_means_first():
    text = render_terminal(answer("blast-radius", BLAST), "vault", width=120)
    first = text.splitlines()[0]
    # api counts once though it is impacted twice; Namespace rows are no workload
    assert first == (
        "vault failing blocks 1 Kustomization and stops 3 workloads in 3 namespaces (5 objects impacted in all)"
    )
    assert "cluster: c1" in text


def test_blast_radius_rows_are_grouped_by_impact_then_namespace():
    lines = render_terminal(answer("blast-radius", BLAST), "vault", width=120).splitlines()
    delivery, runtime = lines.index("impact: delivery (4 rows)"), lines.index("impact: runtime (2 rows)")
    assert delivery < runtime
    # within delivery: the namespaces sorted, each said once ('-': cluster-scoped)
    assert [line.split()[0] for line in lines[delivery:runtime] if line[:1] not in (" ", "", "─", "i", "n")] == [
        "-",
        "a",
        "b",
        "flux-system",
    ]


def test_the_meaning_is_never_cut_and_evidence_only_when_asked():
    for width in (120, 80):
        text = render_terminal(answer("blast-radius", BLAST), "vault", width=width)
        assert "…" not in text
        assert "Kustomization/x" not in text
        for row in BLAST:
            assert row["name"] in text
        # the reason wraps, whole: every word of it is there
        assert "apps-flux-system-with-a-long-name," in text
    shown = render_terminal(answer("blast-radius", BLAST), "vault", evidence=True, width=120)
    assert "evidence: Deployment/api <-[MANAGES]- Kustomization/x" in shown


def test_commands_are_lines_of_their_own_never_wrapped():
    command = "kubectl get events -n flux-system --field-selector involvedObject.name=" + "x" * 80
    rows = [{"step": 1, "area": "flux", "check": "events", "command": command, "evidence": "W/a"}]
    rows.append({"step": 2, "area": "pods", "check": "pods", "command": "kubectl get pods", "evidence": None})
    text = render_terminal(answer("debug", rows), "a", width=80)
    assert f"    $ {command}" in text.splitlines()
    assert "area: flux (1 row)" in text and "W/a" not in text


def test_one_row_is_one_field_per_line():
    row = {"cluster": "c1", "namespace": "n", "kind": "Deployment", "workload": "papi", "evidence": "E"}
    text = render_terminal(answer("where", [row]), "papi", width=120)
    assert "workload       papi" in text.splitlines() and "E" not in text.split()


def test_csv_joins_list_cells_and_json_keeps_lists():
    rows = [{"cluster": "c1", "key": "K", "variables": ["a (x)", "b"], "used_by": ["p", "q"]}]
    csv_text = render(answer("config", rows), "csv")
    assert "a (x); b" in csv_text and "p; q" in csv_text and "[" not in csv_text
    assert '"used_by": [\n      "p",' in render(answer("config", rows), "json")
