"""A walk of a graph in Python, independent of the loader's and the engines': what tests
check the derived closures and the questions' hop counts against."""

from collections import deque


def distances(edges: dict[str, list[str]], start: str, limit: int) -> dict[str, int]:
    """Fewest hops from `start` along `edges`, up to `limit` (0: start itself)."""
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if seen[node] == limit:
            continue
        for nxt in edges.get(node, []):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen
