"""A test hook shared by the stores: pause a load at a named point."""

from __future__ import annotations

import os
import sys


def pause_for_tests(point: str) -> None:
    """Off unless KG_TEST_PAUSE_AT names this point (Neo4j: `write` nodes merged,
    relationships not yet; `sweep` everything merged, nothing swept. Embedded: `swap`
    the new graph file built, not yet renamed over the old one). Announces the point on
    stderr and blocks until a line (or EOF) arrives on stdin, so a test can kill -9 the
    process there, stop the server, or let it go on."""
    if os.environ.get("KG_TEST_PAUSE_AT") == point:
        sys.stderr.write(f"kg-test: paused at {point}\n")
        sys.stderr.flush()
        sys.stdin.readline()
