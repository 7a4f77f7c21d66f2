"""Neo4j faults (issue 7, point 2) on a throwaway server of our own (its own home under
a tmp dir, free ports), never the shared one: wrong password, unknown database, the
server stopped in the middle of a load, down at start, a transient error (lock
timeout) that outlasts the retries and one the retries overcome, a crash (kill -9)
mid-load, a read-only database. Each failure is one readable line on stderr with its
own exit code, no traceback, and the previous graph stands afterwards.

Community 5.26 has no roles, so a read-only *user* cannot be made; a read-only
*database* (server.databases.default_to_read_only) is the real refusal it offers.
Settings not in scripts/neo4j-local's config are passed as `-c key=value` to the
server entry point (it has no dynamic dbms.setConfigValue in Community)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_helpers import KgProcess, change, generated_repo, snapshot  # noqa: E402

from kg.config import Neo4jSettings  # noqa: E402
from kg.store import Neo4jStore  # noqa: E402

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "fault-password"
REPO = "faults"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Neo4j of our own: first started by scripts/neo4j-local (which creates its
    home, configuration and password), later relaunched directly with overrides."""

    def __init__(self, home: Path):
        self.home = home
        self.bolt, self.http = free_port(), free_port()
        self.env = {
            **os.environ,
            "KG_NEO4J_HOME": str(home),
            "NEO4J_BOLT_PORT": str(self.bolt),
            "NEO4J_HTTP_PORT": str(self.http),
            "NEO4J_PASSWORD": PASSWORD,
            "KG_NEO4J_HEAP": "512m",
            "KG_NEO4J_STOP_TIMEOUT": "20",
        }
        self.env.pop("NEO4J_USER", None)
        self.uri = f"bolt://127.0.0.1:{self.bolt}"
        self.proc: subprocess.Popen | None = None

    def script(self, command: str) -> None:
        subprocess.run(
            [str(ROOT / "scripts" / "neo4j-local"), command], env=self.env, check=True, capture_output=True, timeout=300
        )

    def launch(self, *overrides: str) -> None:
        """Start the server entry point directly, with `-c key=value` overrides."""
        java = shutil.which(
            "java", path=os.path.join(os.environ.get("JAVA_HOME", ""), "bin") + os.pathsep + os.environ["PATH"]
        )
        cmd = [
            java,
            "-Xms512m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-Dfile.encoding=UTF-8",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp",
            f"{self.home}/lib/*",
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.home}",
            f"--config-dir={self.home}/conf",
        ]
        for override in overrides:
            cmd += ["-c", override]
        log = open(self.home / "logs" / "direct.log", "ab")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.home,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env={**self.env, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")},
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with self.store() as store:
                    store.verify()
                return
            except Exception:  # noqa: BLE001 - not up yet
                assert self.proc.poll() is None and time.monotonic() < deadline, (
                    self.home / "logs" / "direct.log"
                ).read_text()[-3000:]
                time.sleep(0.5)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=60)
        self.proc = None

    def settings(self, **changes) -> Neo4jSettings:
        return Neo4jSettings(**{"uri": self.uri, "user": "neo4j", "password": PASSWORD, "database": None, **changes})

    def store(self) -> Neo4jStore:
        return Neo4jStore(self.settings())

    def kg(self, *args, env=None) -> KgProcess:
        return KgProcess(
            *args,
            env={
                "NEO4J_URI": self.uri,
                "NEO4J_USER": "neo4j",
                "NEO4J_PASSWORD": PASSWORD,
                "NEO4J_DATABASE": "",
                "KG_NEO4J_RETRY_SECONDS": "3",
                **(env or {}),
            },
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory, neo4j_settings):
    """neo4j_settings: the suite's own Neo4j is up, so its jars are in .neo4j/lib."""
    home = tmp_path_factory.mktemp("neo4j-faults")
    lib = ROOT / ".neo4j" / "lib"
    if any(lib.glob("neo4j-server-*.jar")):
        (home / "lib").symlink_to(lib, target_is_directory=True)  # no second copy of the jars
    srv = Server(home)
    srv.script("start")
    try:
        yield srv
    finally:
        srv.kill9()
        subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "stop"], env=srv.env, capture_output=True, timeout=300)


def one_line_error(code: int, stderr: str, expected_code: int, *needles: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("kg: error:")]
    assert code == expected_code, stderr
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_every_fault_is_one_line_with_its_own_exit_code_and_the_graph_stands(server, tmp_path):
    v1 = generated_repo(tmp_path / "v1")
    v2 = generated_repo(tmp_path / "v2")
    change(v2)
    messages = {}

    # -- a normal server (scripts/neo4j-local) ------------------------------------
    code, out, err = server.kg("load", v1, "--repo-name", REPO, "--format", "json").finish()
    assert code == 0, err
    with server.store() as store:
        before = snapshot(store, REPO)
    assert before[0]

    code, _, err = server.kg("load", v2, "--repo-name", REPO, env={"NEO4J_PASSWORD": "wrong-password"}).finish()
    messages[4] = one_line_error(code, err, 4, "refused the credentials")
    code, _, err = server.kg("load", v2, "--repo-name", REPO, env={"NEO4J_DATABASE": "nosuchdb"}).finish()
    messages[5] = one_line_error(code, err, 5, "'nosuchdb' does not exist")

    # a server crash (kill -9) between write and sweep
    proc = server.kg("load", v2, "--repo-name", REPO, env={"KG_TEST_PAUSE_AT": "sweep"})
    proc.wait_for("kg-test: paused at sweep")
    os.kill(
        int((server.home / "run" / "neo4j.pid").read_text()), signal.SIGKILL
    )  # the server scripts/neo4j-local started
    proc.resume()
    code, _, err = proc.finish()
    messages[8] = one_line_error(code, err, 8, "lost the connection", "rolled back")

    # -- restarted (crash recovery), with a 1 s lock timeout, so that lock waits become
    # transient errors, and a 1 s grace for open transactions at shutdown
    server.launch("db.lock.acquisition.timeout=1s", "db.shutdown_transaction_end_timeout=1s")
    with server.store() as store:
        assert snapshot(store, REPO) == before  # nothing of the interrupted load
        # another transaction holds the repository's lock for longer than kg retries
        session = store.driver.session()
        tx = session.begin_transaction()
        tx.run("MATCH (r:Repo {id: $repo}) SET r.held = true", repo=REPO).consume()
        code, _, err = server.kg("load", v2, "--repo-name", REPO).finish()
        messages[9] = one_line_error(code, err, 9, "transient error", "LockAcquisitionTimeout", "rolled back")
        # ... and for less time than kg retries: retried with backoff, then loaded
        proc = server.kg(
            "load", v2, "--repo-name", REPO, "-v", "--format", "json", env={"KG_NEO4J_RETRY_SECONDS": "60"}
        )
        proc.wait_for("will be retried")
        threading.Timer(0.5, tx.rollback).start()
        code, out, err = proc.finish()
        assert code == 0, err
        session.close()
        after_v2 = snapshot(store, REPO)
        assert after_v2 != before and {n[2]["load_tag"] for n in after_v2[0]} == {json.loads(out)["load_tag"]}

    # the server is stopped (SIGTERM, as scripts/neo4j-local stop does) while a load's
    # transaction is open: the server ends the transaction, kg finds the connection gone
    proc = server.kg("load", v1, "--repo-name", REPO, env={"KG_TEST_PAUSE_AT": "write"})
    proc.wait_for("kg-test: paused at write")
    server.proc.terminate()
    server.proc.wait(timeout=120)
    proc.resume()
    code, _, err = proc.finish()
    one_line_error(code, err, 8, "lost the connection", "rolled back")

    # down at start: refused before anything is rendered
    code, _, err = server.kg("load", v1, "--repo-name", REPO).finish()
    messages[3] = one_line_error(code, err, 3, "cannot reach Neo4j", "connection refused")

    # -- restarted read-only: the committed graph is there; writes are refused
    server.launch("server.databases.default_to_read_only=true")
    with server.store() as store:
        assert snapshot(store, REPO) == after_v2
        code, _, err = server.kg("load", v1, "--repo-name", REPO).finish()
        messages[7] = one_line_error(code, err, 7, "read-only")
        code, out, err = server.kg("ask", "where", "app-0-wl-0", "--repo", REPO, "--format", "json").finish()
        assert code == 0 and json.loads(out), err  # still answers questions
        assert snapshot(store, REPO) == after_v2
    server.kill9()
    assert len(set(messages.values())) == len(messages)
    print("\n".join(f"exit {c}: {m}" for c, m in sorted(messages.items())))
