"""The parts of HelmRelease rendering that need no helm: version constraints as Helm
resolves them, Flux's values order and merge, `--set` paths, release names, sources."""

from __future__ import annotations

import pytest

from kg.loaders.charts import ChartError, pick_version
from kg.loaders.helm import (
    ValuesError,
    _index_sources,
    chart_source,
    compose_values,
    crds_included,
    merge_maps,
    parse_manifests,
    release_name,
    set_path_value,
    values_lookup_from,
)

VERSIONS = ["0.9.0", "1.0.0", "1.0.5", "1.1.0", "1.2.0-rc.1", "2.0.0-rc.1", "2.0.0", "2.1.0", "not-semver", "v3.0"]


@pytest.mark.parametrize(
    "constraint, expected",
    [
        ("", "v3.0"),  # empty means "*": the highest release; pre-releases and non-semver skipped
        ("*", "v3.0"),
        ("1.0.0", "1.0.0"),  # an exact string wins before any constraint
        ("^1.0", "1.1.0"),
        ("^1.0.1", "1.1.0"),
        ("~1.0", "1.0.5"),
        ("~1", "1.1.0"),
        ("1.x", "1.1.0"),
        ("1.0.x", "1.0.5"),
        (">=1.0.0 <2.0.0", "1.1.0"),
        (">= 1.0.0, < 2.0.0", "1.1.0"),
        ("<1.0", "0.9.0"),
        ("<=1.0", "1.0.5"),  # <=1.0 covers the whole 1.0.x range
        (">1.0", "v3.0"),
        ("1.0.0 - 1.0.9", "1.0.5"),
        ("^0.9 || ^2.0", "2.1.0"),
        ("!=2.1.0, ^2", "2.0.0"),
        (">=1.2.0-0 <1.3.0", "1.2.0-rc.1"),  # a constraint with a pre-release admits them
        (">=2.0.0-0 <2.0.0", "2.0.0-rc.1"),
        ("^5", None),
    ],
)
def test_version_constraints_pick_like_helm(constraint, expected):
    assert pick_version(constraint, VERSIONS) == expected


def test_invalid_constraint_is_an_error():
    with pytest.raises(ValueError):
        pick_version("latest-ish", VERSIONS)


def test_release_name_rule_of_helm_controller():
    hr = {
        "metadata": {"name": "with-a-nice-object-name", "namespace": "apps"},
        "spec": {"targetNamespace": "a-very-lengthy-target-namespace"},
    }
    # 55 characters composed: 40 characters, a dash, 12 hex digits of its SHA-256 (the
    # hash is the one Flux's documentation shows for this name)
    assert release_name(hr) == "a-very-lengthy-target-namespace-with-a-n-97af5d7f41f3"
    assert len(release_name(hr)) == 53
    assert release_name({"metadata": {"name": "app"}, "spec": {"targetNamespace": "media"}}) == "media-app"
    assert release_name({"metadata": {"name": "app"}, "spec": {}}) == "app"
    exact = "x" * 53
    assert release_name({"metadata": {"name": exact}, "spec": {}}) == exact
    assert release_name({"metadata": {"name": "a"}, "spec": {"releaseName": "mine", "targetNamespace": "t"}}) == "mine"


def test_merge_maps_is_flux_deep_merge():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": {"f": 1}}
    override = {"a": {"c": [3], "g": None}, "e": "scalar", "h": {"i": 1}}
    assert merge_maps(base, override) == {"a": {"b": 1, "c": [3], "g": None}, "d": 1, "e": "scalar", "h": {"i": 1}}


@pytest.mark.parametrize(
    "path, raw, expected",
    [
        ("a.b", "text", {"a": {"b": "text"}}),
        ("a.b", "42", {"a": {"b": 42}}),
        ("a.b", "042", {"a": {"b": "042"}}),  # leading zero: stays a string, as in Helm
        ("a.b", "true", {"a": {"b": True}}),
        ("a.b", "null", {"a": {"b": None}}),
        ("a.b", '"42"', {"a": {"b": "42"}}),  # quoted: kept as a string
        ("list", "{x,2}", {"list": ["x", 2]}),
        ("a.list[1].c", "v", {"a": {"list": [None, {"c": "v"}]}}),
        (r"ann.example\.com/key", "v", {"ann": {"example.com/key": "v"}}),
        ("a", r"x\,y", {"a": "x,y"}),
        ("a", "x,b=2", {"a": "x", "b": 2}),  # Helm's documented limitation: commas split
    ],
)
def test_target_path_uses_helm_set_syntax(path, raw, expected):
    values: dict = {}
    set_path_value(values, path, raw)
    assert values == expected


def test_target_path_literal_keeps_the_value_verbatim():
    values: dict = {}
    set_path_value(values, r"config.app\.yml", "a: 1,\nb: {x}", literal=True)
    assert values == {"config": {"app.yml": "a: 1,\nb: {x}"}}


def test_target_path_errors():
    with pytest.raises(ValueError):
        set_path_value({}, "a", "x,b")  # "b" has no value


def _lookup(data):
    return lambda kind, namespace, name: data.get((kind, namespace, name))


def test_values_in_flux_order():
    hr = {
        "metadata": {"name": "app", "namespace": "apps"},
        "spec": {
            "valuesFrom": [
                {"kind": "ConfigMap", "name": "base"},  # valuesKey defaults to values.yaml
                {"kind": "ConfigMap", "name": "base", "valuesKey": "tag", "targetPath": "image.tag"},
                {"kind": "ConfigMap", "name": "absent", "optional": True},
                {"kind": "Secret", "name": "creds", "valuesKey": "password", "targetPath": "db.password"},
            ],
            "values": {"replicas": 2, "image": {"repository": "inline"}},
        },
    }
    data = {
        ("ConfigMap", "apps", "base"): {
            "values.yaml": "replicas: 1\nimage: {repository: base, tag: old}\n",
            "tag": "v2",
        },
        ("Secret", "apps", "creds"): {"password": None},  # kg never reads Secret values
    }
    values, notes = compose_values(hr, _lookup(data))
    assert values == {"replicas": 2, "image": {"repository": "inline", "tag": "v2"}}
    assert any("absent" in n and "optional" in n for n in notes)
    assert any("creds" in n and "not read" in n for n in notes)


@pytest.mark.parametrize(
    "ref, data, message",
    [
        ({"kind": "ConfigMap", "name": "nope"}, {}, "not found"),
        (
            {"kind": "ConfigMap", "name": "cm", "valuesKey": "other"},
            {("ConfigMap", "apps", "cm"): {"values.yaml": "a: 1"}},
            "no key",
        ),
        (
            {"kind": "ConfigMap", "name": "cm"},
            {("ConfigMap", "apps", "cm"): {"values.yaml": "- a list"}},
            "not a YAML mapping",
        ),
        ({"kind": "ConfigMap", "name": "cm"}, {("ConfigMap", "apps", "cm"): {"values.yaml": "a: [1"}}, "invalid YAML"),
    ],
)
def test_values_errors_where_flux_fails(ref, data, message):
    hr = {"metadata": {"name": "app", "namespace": "apps"}, "spec": {"valuesFrom": [ref]}}
    with pytest.raises(ValuesError, match=message):
        compose_values(hr, _lookup(data))


def test_crd_policy():
    assert crds_included({"spec": {}})
    assert not crds_included({"spec": {"install": {"crds": "Skip"}}})
    assert crds_included({"spec": {"install": {"crds": "Skip"}, "upgrade": {"crds": "CreateReplace"}}})
    assert crds_included({"spec": {"install": {"crds": "CreateReplace"}, "upgrade": {"crds": "Skip"}}})


SOURCES = [
    {
        "kind": "HelmRepository",
        "metadata": {"name": "charts", "namespace": "flux-system"},
        "spec": {"url": "https://charts.example.com/"},
    },
    {
        "kind": "HelmRepository",
        "metadata": {"name": "ghcr", "namespace": "flux-system"},
        "spec": {"type": "oci", "url": "oci://ghcr.io/example/charts"},
    },
    {
        "kind": "OCIRepository",
        "metadata": {"name": "app-template", "namespace": "flux-system"},
        "spec": {"url": "oci://ghcr.io/bjw-s-labs/helm/app-template", "ref": {"tag": "4.1.2"}},
    },
    {
        "kind": "OCIRepository",
        "metadata": {"name": "pinned", "namespace": "apps"},
        "spec": {"url": "oci://r.example/c/pinned", "ref": {"digest": "sha256:" + "a" * 64, "tag": "1.0.0"}},
    },
    {
        "kind": "HelmChart",
        "metadata": {"name": "hc", "namespace": "flux-system"},
        "spec": {"chart": "podinfo", "version": "6.x", "sourceRef": {"kind": "HelmRepository", "name": "charts"}},
    },
    {
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"url": "ssh://x"},
    },
]


def _hr(spec, namespace="apps"):
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "app", "namespace": namespace},
        "spec": spec,
    }


def test_chart_sources_as_helm_controller_reads_them(tmp_path):
    by_key = _index_sources(SOURCES)
    src = chart_source(
        _hr(
            {
                "chart": {
                    "spec": {
                        "chart": "podinfo",
                        "version": "^6",
                        "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"},
                    }
                }
            }
        ),
        by_key,
        None,
    )
    assert (src.kind, src.url, src.chart, src.version) == ("http", "https://charts.example.com", "podinfo", "^6")
    src = chart_source(
        _hr(
            {
                "chart": {
                    "spec": {
                        "chart": "tool",
                        "version": "1.2.3",
                        "sourceRef": {"kind": "HelmRepository", "name": "ghcr", "namespace": "flux-system"},
                    }
                }
            }
        ),
        by_key,
        None,
    )
    assert (src.kind, src.url, src.version, src.semver) == ("oci", "oci://ghcr.io/example/charts/tool", "1.2.3", False)
    src = chart_source(
        _hr({"chartRef": {"kind": "OCIRepository", "name": "app-template", "namespace": "flux-system"}}), by_key, None
    )
    assert (src.kind, src.url, src.chart, src.version, src.semver) == (
        "oci",
        "oci://ghcr.io/bjw-s-labs/helm/app-template",
        "app-template",
        "4.1.2",
        False,
    )
    src = chart_source(_hr({"chartRef": {"kind": "OCIRepository", "name": "pinned"}}), by_key, None)
    assert src.digest == "sha256:" + "a" * 64  # the digest wins over the tag
    src = chart_source(_hr({"chartRef": {"kind": "HelmChart", "name": "hc", "namespace": "flux-system"}}), by_key, None)
    assert (src.kind, src.chart, src.version) == ("http", "podinfo", "6.x")
    src = chart_source(
        _hr({"chart": {"kind": "OCIRepository", "spec": {"url": "oci://r.example/c/x", "ref": {"semver": ">=1"}}}}),
        by_key,
        None,
    )
    assert (src.kind, src.version, src.semver) == ("oci", ">=1", True)
    seen = []
    (tmp_path / "charts" / "mine").mkdir(parents=True)

    def resolver(source_id, path):
        seen.append((source_id, path))
        return tmp_path / "charts" / "mine"

    src = chart_source(
        _hr(
            {
                "chart": {
                    "spec": {
                        "chart": "./charts/mine",
                        "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"},
                    }
                }
            }
        ),
        by_key,
        resolver,
    )
    assert src.kind == "local" and seen == [("GitRepository/flux-system/flux-system", "./charts/mine")]


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"chartRef": {"kind": "OCIRepository", "name": "missing"}}, "not defined"),
        ({"chartRef": {"kind": "ExternalArtifact", "name": "x"}}, "not rendered"),
        ({"chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "nope"}}}}, "not defined"),
        ({"chart": {"spec": {"chart": "./c", "sourceRef": {"kind": "Bucket", "name": "b"}}}}, "cannot be read"),
        ({}, "neither"),
    ],
)
def test_unresolvable_sources_are_errors(spec, message):
    with pytest.raises(ChartError, match=message):
        chart_source(_hr(spec), _index_sources(SOURCES), lambda source_id, path: None)


def test_parse_manifests_keeps_template_files_and_tolerates_bad_documents():
    text = (
        "---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "---\n# Source: app/templates/b.yaml\napiVersion: v1\nkind: [broken\n"
        "---\n# Source: app/templates/c.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n"
        "---\n# Source: app/templates/d.yaml\n# only a comment\n"
    )
    objects, notes = parse_manifests(text)
    assert [(o["kind"], t) for o, t in objects] == [
        ("ConfigMap", "app/templates/a.yaml"),
        ("Service", "app/templates/c.yaml"),
    ]
    assert len(notes) == 1 and "app/templates/b.yaml" in notes[0]


def test_values_lookup_from_rendered_objects_never_reads_secret_values():
    lookup = values_lookup_from(
        [
            {"kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "apps"}, "data": {"values.yaml": "a: 1"}},
            {
                "kind": "Secret",
                "metadata": {"name": "s", "namespace": "apps"},
                "data": {"k": "c2VjcmV0"},
                "stringData": {"j": "plain"},
            },
        ]
    )
    assert lookup("ConfigMap", "apps", "cm") == {"values.yaml": "a: 1"}
    assert lookup("Secret", "apps", "s") == {"k": None, "j": None}
    assert lookup("ConfigMap", "apps", "other") is None
