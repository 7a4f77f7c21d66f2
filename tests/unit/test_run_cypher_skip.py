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
