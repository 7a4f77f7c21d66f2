"""The embedded graph file's node tables have no hash index (issue 21: memory and
start-up): Ladybug allocates and touches ~3.6 MB per indexed node table whenever a file
is written or opened, 75 MB for kg's 21 tables, the largest part of a load's peak and of
a question's start-up. Without the index a node table takes its rows in one COPY only,
so a table larger than a relationship batch must still load whole, with unique ids."""

import json
import subprocess
import sys

from kg.config import EmbeddedSettings
from kg.graphdoc import GraphDoc
from kg.store import EmbeddedStore
from kg.store.embedded_store import COPY_ROWS

# what opening the example graph read-only and answering one question may add to the
# process: Ladybug's library and the buffer pool's bookkeeping (~25 MB here), not 75 MB
# of indexes (the file written with Ladybug's default index: ~100 MB)
OPEN_BUDGET_MB = 50


def test_a_node_table_larger_than_a_copy_batch_loads_whole(tmp_path):
    gd = GraphDoc()
    count = COPY_ROWS + 7
    for i in range(count):
        gd.add_node("ConfigKey", f"key-{i}", name=f"key-{i}", repo="r", cluster="c")
    with EmbeddedStore(EmbeddedSettings(tmp_path / "graph")) as store:
        store.write(gd, "r", None)
        rows = store.query("MATCH (k:ConfigKey) RETURN count(k) AS n, count(DISTINCT k.id) AS ids")
        assert rows == [{"n": count, "ids": count}]
        assert store.query("MATCH (k:ConfigKey) WHERE k.id = $id RETURN k.name AS name", {"id": "key-20003"}) == [
            {"name": "key-20003"}
        ]


def test_opening_the_graph_for_a_question_stays_lean(tmp_path, example_load):
    graph = tmp_path / "graph"
    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        store.write(example_load.graph, "platform", None)
    script = (
        "import json, sys\n"
        "from kg.config import EmbeddedSettings\n"
        "from kg.store import EmbeddedStore\n"
        "from kg.store.embedded_store import _ladybug\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n"
        "_ladybug()\n"
        "before = rss()\n"
        "store = EmbeddedStore(EmbeddedSettings(sys.argv[1]))\n"
        "rows = store.query('MATCH (w:Workload) RETURN count(w) AS n')\n"
        "print(json.dumps({'added': rss() - before, 'workloads': rows[0]['n']}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(graph)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["workloads"] > 10
    assert measured["added"] < OPEN_BUDGET_MB, measured
