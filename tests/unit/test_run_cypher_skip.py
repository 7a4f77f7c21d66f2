"""`// skip without: LABEL` in a union part: kg runs the part only when the graph holds a
node of that label (kg/run_cypher.py), so a part about the live status costs nothing
before `kg status load`; the rows are those the part would have given (none)."""

from kg import run_cypher
from kg.cypher_files import CypherFile

FILE = CypherFile.parse(
    "// order: n\n"
    "MATCH (a:Cluster) RETURN 1 AS n\n"
    "UNION ALL\n"
    "// skip without: LiveStatus\n"
    "MATCH (s:LiveStatus) RETURN 2 AS n\n"
    "UNION ALL\n"
    "// skip without: LiveStatus\n"
    "MATCH (s:LiveStatus) RETURN 3 AS n\n"
)


class Runner:
    def __init__(self, live: bool):
        self.live = live
        self.asked: list[str] = []

    def query(self, text, params=None):
        self.asked.append(text)
        if "LIMIT 1" in text:  # cypher/lookup/label_holds_any.cypher
            return [{"id": "x"}] if self.live else []
        return [{"n": int(text.split("RETURN ")[1].split()[0])}]


def test_parts_that_need_a_label_the_graph_lacks_are_not_run():
    runner = Runner(live=False)
    assert run_cypher.run(runner, FILE) == [{"n": 1}]
    assert len(runner.asked) == 2  # the first part and one look-up of the label


def test_they_run_when_it_holds_one():
    runner = Runner(live=True)
    assert run_cypher.run(runner, FILE) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert len(runner.asked) == 4


def test_the_target_label_of_a_part():
    assert (
        run_cypher.target_label("// a note\nMATCH (t:Kustomization)\nWHERE t.id IN $ids\nRETURN t") == "Kustomization"
    )
    assert run_cypher.target_label("MATCH (w:Workload)\nWHERE w.id IN $ids\nRETURN w") == "Workload"
    assert run_cypher.target_label("MATCH (w:Workload)\nWHERE t.id IN $ids\nRETURN w") is None
    assert run_cypher.target_label("MATCH (t/*:{target}*/)\nWHERE t.id IN $ids\nRETURN t") is None
    assert run_cypher.target_label("MATCH (c:Cluster)\nMATCH (t:Kustomization)\nWHERE t.id IN $ids") is None


def test_parts_about_another_label_of_target_are_not_run():
    file = CypherFile.parse(
        "MATCH (t:Kustomization)\nWHERE t.id IN $ids\nRETURN 1 AS n\n"
        "UNION ALL\nMATCH (t:HelmRelease)\nWHERE t.id IN $ids\nRETURN 2 AS n\n"
        "UNION ALL\nMATCH (t)\nWHERE t.id IN $ids\nRETURN 3 AS n\n"
    )
    runner = Runner(live=False)
    assert run_cypher.run(runner, file, {"ids": ["x"]}, target_labels={"HelmRelease"}) == [{"n": 2}, {"n": 3}]
    assert len(runner.asked) == 2
    assert len(run_cypher.run(Runner(live=False), file, {"ids": ["x"]})) == 3  # labels unknown: all run


def test_every_part_that_starts_from_a_labelled_target_has_no_rows_without_one(tmp_path, example_repo):
    """What makes skipping such a part safe: nothing after its first MATCH makes a row
    out of no target (a global count(), an OPTIONAL MATCH first)."""
    from typer.testing import CliRunner

    from kg.cli import app
    from kg.config import EmbeddedSettings
    from kg.questions import catalogue
    from kg.store import EmbeddedStore

    graph = tmp_path / "graph"
    loaded = CliRunner().invoke(app, ["load", str(example_repo), "--engine", "embedded", "--graph", str(graph)])
    assert loaded.exit_code == 0, loaded.output
    checked = 0
    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        for question in catalogue().values():
            statements, _ = question.file.parts()
            for statement in statements:
                if run_cypher.target_label(statement):
                    params = {"ids": [], "cluster": None, "repo": None, "key": ".*"}
                    assert store.query(statement, params) == [], (question.name, statement[:200])
                    checked += 1
    assert checked > 20
