"""The export's key policy for colliding names, and its time rules."""

import pytest

from kg.errors import KgError
from kg.export import assign_keys, dumps, generated_at

QUALIFIERS = [
    lambda r: f"{r['ns']}/{r['name']}",
    lambda r: f"{r['cluster']}/{r['ns']}/{r['name']}",
]


def test_unique_names_stay_plain_and_collisions_are_qualified():
    rows = [
        {"name": "papi", "ns": "backend", "cluster": "a"},
        {"name": "redis", "ns": "cache", "cluster": "a"},
        {"name": "redis", "ns": "backend", "cluster": "a"},
        {"name": "web", "ns": "x", "cluster": "a"},
        {"name": "web", "ns": "x", "cluster": "b"},
    ]
    assert assign_keys(rows, lambda r: r["name"], QUALIFIERS) == [
        "papi",
        "cache/redis",
        "backend/redis",
        "a/x/web",
        "b/x/web",
    ]


def test_unresolvable_collision_is_an_error_not_an_overwrite():
    rows = [{"name": "a", "ns": "n", "cluster": "c"}, {"name": "a", "ns": "n", "cluster": "c"}]
    with pytest.raises(KgError):
        assign_keys(rows, lambda r: r["name"], QUALIFIERS)


def test_generated_at_precedence(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert generated_at(None, "2026-02-02T11:00:00+01:00") == "2026-02-02T10:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert generated_at(None, "2026-02-02T11:00:00+01:00") == "1970-01-01T00:00:00Z"
    assert generated_at("2026-03-01T00:00:00Z", "2026-02-02T11:00:00+01:00") == "2026-03-01T00:00:00Z"


def test_json_is_byte_stable():
    assert (
        dumps({"b": 1, "a": {"d": [2, 1], "c": "é"}})
        == '{\n  "a": {\n    "c": "é",\n    "d": [\n      2,\n      1\n    ]\n  },\n  "b": 1\n}\n'
    )
