"""What the corpus tests share: the reviewed-warnings check."""

import re

# Charts are rendered offline from an empty cache in tests (tests/conftest.py): one
# warning per chart source says its releases stand for what they deploy.
CHARTS_NOT_CACHED = r"chart not rendered \(fetch, source \S+\): .*offline"


def unreviewed_warnings(result, patterns: list[str]) -> list[str]:
    """The load's warnings that match none of the reviewed problems of its input."""
    compiled = [re.compile(p) for p in patterns]
    return [str(w) for w in result.warnings if not any(p.search(w.reason) for p in compiled)]
