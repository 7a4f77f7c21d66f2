"""Messy YAML never aborts a load: each broken document is one warning with its line."""

from kg.loaders.yamlio import kubernetes_objects, load_documents


def test_broken_document_does_not_hide_its_neighbours():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkey: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
    docs, warnings = load_documents(text, "x.yaml")
    names = [d["metadata"]["name"] for _, d in docs]
    assert names == ["a", "b"]
    assert len(warnings) == 1
    assert warnings[0].file == "x.yaml" and warnings[0].line in (5, 6)


def test_custom_tags_and_bare_equals_are_read_as_values():
    docs, warnings = load_documents("a: !env_var FOO\nb: =\nc: !include [x, y]\n", "t.yaml")
    assert warnings == []
    assert docs[0][1] == {"a": "FOO", "b": "=", "c": ["x", "y"]}


def test_empty_and_comment_only_documents_are_skipped():
    docs, warnings = load_documents(
        "# only a comment\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n", "e.yaml"
    )
    assert warnings == []
    assert len(docs) == 1


def test_non_kubernetes_documents_are_reported_not_dropped():
    docs, _ = load_documents("- op: add\n  path: /x\n---\nsops:\n  version: 3\n---\nservices: {web: {}}\n", "p.yaml")
    objs, warnings = kubernetes_objects(docs, "p.yaml")
    assert objs == []
    reasons = [w.reason for w in warnings]
    assert any("YAML list" in r for r in reasons)
    assert any("SOPS metadata" in r for r in reasons)
    assert any("no apiVersion/kind" in r for r in reasons)
