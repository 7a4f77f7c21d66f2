"""The key policy for names that collide, shared by every data file.

An entry is keyed by its plain name when that name is unique in its section of the
export; when several entries share it, all of them are keyed by the first qualified
form that tells them apart: `namespace/name`, then `cluster/namespace/name` (and, for
services, `cluster/namespace/name/kind-workload`). Cluster-scoped objects have no
namespace part. Nothing is overwritten, and rows arrive sorted, so keys are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kg.errors import KgError

Row = dict[str, Any]


def assign_keys(rows: list[Row], name: Callable[[Row], str], qualifiers: list[Callable[[Row], str]]) -> list[str]:
    """Keys per the module's collision policy, in the order of `rows`."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(name(row), []).append(i)
    keys = [""] * len(rows)
    for plain, members in groups.items():
        if len(members) == 1:
            keys[members[0]] = plain
            continue
        for qualify in qualifiers:
            candidates = [qualify(rows[i]) for i in members]
            if len(set(candidates)) == len(candidates):
                break
        for i, key in zip(members, candidates):
            keys[i] = key
    if len(set(keys)) != len(keys):
        raise KgError("export key policy produced duplicate keys; please report this with the repository layout")
    return keys


def path(*parts: Any) -> str:
    """`a/b/c` from the non-empty parts (a cluster-scoped object has no namespace)."""
    return "/".join(str(p) for p in parts if p)


def keyed(rows: Iterable[Row], *extra: Callable[[Row], str]) -> list[tuple[str, Row]]:
    """(key, row) for rows with `name`, `namespace`, `cluster`: the standard policy,
    then any `extra` qualifiers (for rows that can still collide, e.g. by kind)."""
    rows = list(rows)
    qualifiers = [
        lambda r: path(r.get("namespace"), r["name"]),
        lambda r: path(r.get("cluster"), r.get("namespace"), r["name"]),
        *extra,
    ]
    return list(zip(assign_keys(rows, lambda r: r["name"], qualifiers), rows))
