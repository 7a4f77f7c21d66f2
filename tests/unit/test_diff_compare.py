"""kg/diff/compare.py and output.py on hand-made GraphDocs: generic over labels and
properties (a label the diff has never heard of is compared too), values leaf by leaf,
lists as sets, redacted values never shown, output that quotes values safely."""

from __future__ import annotations

import io
import json

from rich.console import Console

from kg.diff import compare, failed_policies
from kg.diff.output import Meta, print_table, to_json, to_markdown
from kg.graphdoc import GraphDoc, Node

PREFIX = "r:c"


def graph(**overrides) -> GraphDoc:
    gd = GraphDoc()
    props = {"repo": "r", "cluster": "c", "namespace": "ns"}
    gd.add_node(
        "HelmRelease",
        f"{PREFIX}/HelmRelease/ns/app",
        name="app",
        kind="HelmRelease",
        values=overrides.get("values", json.dumps({"image": {"tag": "1.0"}, "replicas": 1})),
        **props,
    )
    gd.add_node(
        "Workload",
        f"{PREFIX}/Deployment/ns/web",
        name="web",
        kind="Deployment",
        images=overrides.get("images", ["web:1", "sidecar:2"]),
        source_file=overrides.get("source_file", "apps/web.yaml"),
        **props,
    )
    gd.add_node(
        "Variable",
        f"{PREFIX}/Variable/token",
        name="token",
        kind="Variable",
        redacted=True,
        value=overrides.get("token"),
        repo="r",
        cluster="c",
    )
    gd.add_node(
        "ConfigKey",
        f"{PREFIX}/ConfigKey/ns/cm/config.txt",
        name="config.txt",
        kind="ConfigKey",
        value=overrides.get("text", "a = 1\nb = 2\nc = 3"),
        **props,
    )
    # a label of the future (settings lineage): compared like any other
    gd.nodes[f"{PREFIX}/Setting/ns/web/LOG_LEVEL"] = Node(
        "Setting",
        f"{PREFIX}/Setting/ns/web/LOG_LEVEL",
        {
            "name": "LOG_LEVEL",
            "kind": "Setting",
            "cluster": "c",
            "namespace": "ns",
            "value": overrides.get("log", "info"),
        },
    )
    return gd.finalize()


def fields(diff, name: str) -> dict:
    (change,) = [c for c in diff.changes if c.name == name]
    return {f.field: f for f in change.fields}


def test_nothing_effective_is_nothing():
    # list order and a moved file are no change
    assert compare(graph(), graph(images=["sidecar:2", "web:1"], source_file="moved/web.yaml")).empty


def test_values_leaf_by_leaf_lists_as_sets_text_by_lines():
    diff = compare(
        graph(),
        graph(
            values=json.dumps({"image": {"tag": "1.1"}, "replicas": 1, "extra": {"a": True}}),
            images=["web:2", "sidecar:2"],
            text="a = 1\nb = 20\nc = 3",
        ),
    )
    release = fields(diff, "app")
    assert (release["values.image.tag"].before, release["values.image.tag"].after) == ("1.0", "1.1")
    assert (release["values.extra.a"].before, release["values.extra.a"].after) == (None, True)
    assert set(release) == {"values.image.tag", "values.extra.a"}
    images = fields(diff, "web")["images"]
    assert (images.added, images.removed) == (["web:2"], ["web:1"])
    text = fields(diff, "config.txt")["value"]
    assert (text.added, text.removed) == (["b = 20"], ["b = 2"])
    assert failed_policies(diff, ["images", "removed", "secrets"]) == ["images"]


def test_a_label_the_diff_does_not_know_is_compared():
    diff = compare(graph(), graph(log="debug"))
    (change,) = diff.changes
    assert (change.label, change.categories, change.action) == ("Setting", ["config"], "changed")
    assert (change.fields[0].before, change.fields[0].after) == ("info", "debug")


def test_a_redacted_value_is_never_shown():
    diff = compare(graph(token="s3cr3t-old"), graph(token="s3cr3t-new"))
    meta = Meta("base", "head", "r")
    shown = to_json(diff, meta) + to_markdown(diff, meta)
    out = io.StringIO()
    print_table(Console(file=out, width=200), diff, meta)
    shown += out.getvalue()
    assert "s3cr3t" not in shown and "(redacted)" in shown


def test_output_quotes_values_safely():
    diff = compare(graph(), graph(log="a|b`c [bold]x[/bold] <details>"))
    text = to_markdown(diff, Meta("base", "head", "r"))
    assert "`a\\|b'c [bold]x[/bold] <details>`" in text  # code: a pipe cannot end the cell
    assert text.count("\n<details>") == 1  # a value is code (shown as text), not HTML of its own
    out = io.StringIO()
    print_table(Console(file=out, width=300), diff, Meta("base", "head", "r"))
    assert "[bold]x[/bold]" in out.getvalue()  # shown, not read as Rich markup


def test_production_images_are_looked_at_first():
    prod = compare(graph(), graph(images=["web:2", "sidecar:2"]), production="^c$")
    assert prod.changes[0].look_first == ["image change in a production cluster"]
    assert failed_policies(prod, ["production-images"]) == ["production-images"]
    assert compare(graph(), graph(images=["web:2", "sidecar:2"])).changes[0].look_first == []


def test_a_new_reference_to_nothing_and_a_render_failure_are_looked_at_first():
    head = graph()
    head.add_node("Secret", f"{PREFIX}/Secret/ns/typo", name="typo", kind="Secret", missing=True, repo="r", cluster="c")
    head.add_rel("USES", ("Workload", f"{PREFIX}/Deployment/ns/web"), ("Secret", f"{PREFIX}/Secret/ns/typo"), via="env")
    diff = compare(graph(), head)
    by_name = {c.name: c for c in diff.changes}
    assert (by_name["typo"].action, by_name["typo"].look_first) == ("added", ["referenced but not defined"])
    assert "secrets" in by_name["web"].categories
    assert failed_policies(diff, ["removed", "secrets"]) == ["removed", "secrets"]
    base, broken = graph(), graph()
    for gd, error in ((base, None), (broken, "kustomize build failed")):
        gd.add_node("Kustomization", f"{PREFIX}/Kustomization/flux-system/apps", name="apps", kind="Kustomization",
                    render_error=error, repo="r", cluster="c")  # fmt: skip
    (change,) = compare(base, broken).changes
    assert change.look_first == ["no longer renders"]


def test_a_setting_goes_with_its_objects_own_change():
    """A Setting is one field of its object: told once, on the object, when the object's own
    properties say it (here its images); told itself when they do not."""

    def with_setting(image: str, args: str) -> GraphDoc:
        gd = graph(images=[image, "sidecar:2"])
        web = f"{PREFIX}/Deployment/ns/web"
        for key, value in (("image", image), ("args", args)):
            setting = f"{PREFIX}/Setting/ns/web/{key}"
            gd.add_node("Setting", setting, name=key, kind="Setting", cluster="c", namespace="ns",
                        object="Deployment/ns/web", value=value)  # fmt: skip
            gd.add_rel("HAS_SETTING", ("Workload", web), ("Setting", setting))
        return gd.finalize()

    image_changed = compare(with_setting("web:1", "--x"), with_setting("web:2", "--x"))
    assert [(c.label, c.name) for c in image_changed.changes] == [("Workload", "web")]
    args_changed = compare(with_setting("web:1", "--x"), with_setting("web:1", "--y"))
    assert [(c.label, c.name) for c in args_changed.changes] == [("Setting", "args")]
