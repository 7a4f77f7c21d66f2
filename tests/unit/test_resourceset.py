"""Flux Operator ResourceSets expanded as the operator does (loaders/resourceset.py):
input sets and providers, Flatten and Permute, `resources` and `resourcesTemplate`,
the Go template subset, and odd input that warns instead of raising."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.loaders import resourceset
from kg.loaders.resourceset import (
    Expansion,
    TemplateError,
    UnknownFunctionError,
    expand_resourceset,
    is_input_provider,
    is_resourceset,
    render_template,
)


def load(text: str) -> Any:
    return yaml.safe_load(text)


def of_kind(expansion: Expansion, kind: str) -> list[dict[str, Any]]:
    return [obj for obj in expansion.objects if obj["kind"] == kind]


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["metadata"]["name"] for obj in objects]


def static_provider(
    name: str,
    namespace: str,
    defaults: dict[str, Any],
    labels: dict[str, str] | None = None,
    provider_type: str = "Static",
) -> dict[str, Any]:
    provider: dict[str, Any] = {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSetInputProvider",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"type": provider_type, "defaultValues": defaults},
    }
    if provider_type != "Static":
        provider["spec"]["url"] = "https://github.com/acme/podinfo"
    return provider


TENANT_APPS = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: tenant-apps
  namespace: flux-system
spec:
  commonMetadata:
    labels:
      platform.acme.io/owner: platform-team
  dependsOn:
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      name: helmreleases.helm.toolkit.fluxcd.io
  inputs:
    - tenant: team-a
      chart:
        version: "6.7.x"
      replicas: 2
    - tenant: team-b
      chart:
        version: "6.6.x"
      replicas: 3
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: podinfo-<< inputs.tenant >>
        namespace: << inputs.tenant >>
      spec:
        interval: 10m
        url: oci://ghcr.io/stefanprodan/charts/podinfo
        ref:
          semver: << inputs.chart.version | quote >>
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: podinfo
        namespace: << inputs.tenant >>
      spec:
        interval: 1h
        releaseName: podinfo-<< inputs.tenant >>
        chartRef:
          kind: OCIRepository
          name: podinfo-<< inputs.tenant >>
        values:
          replicaCount: << inputs.replicas | int >>
""")


def test_inline_inputs_generate_a_source_and_a_release_per_tenant():
    expansion = expand_resourceset(TENANT_APPS, [])

    assert expansion.warnings == []
    # the operator's order: each resource for every input set, in turn
    assert [(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in expansion.objects] == [
        ("OCIRepository", "team-a", "podinfo-team-a"),
        ("OCIRepository", "team-b", "podinfo-team-b"),
        ("HelmRelease", "team-a", "podinfo"),
        ("HelmRelease", "team-b", "podinfo"),
    ]
    source_a, source_b, release_a, release_b = expansion.objects
    assert source_a["spec"]["ref"] == {"semver": "6.7.x"}
    assert source_b["spec"]["ref"] == {"semver": "6.6.x"}
    assert release_a["spec"]["chartRef"] == {"kind": "OCIRepository", "name": "podinfo-team-a"}
    assert release_b["spec"]["releaseName"] == "podinfo-team-b"
    assert release_b["spec"]["values"] == {"replicaCount": 3}  # `int` makes the number a YAML int


def test_generated_objects_carry_owner_labels_and_common_metadata():
    expansion = expand_resourceset(TENANT_APPS, [])
    for obj in expansion.objects:
        assert obj["metadata"]["labels"] == {
            "resourceset.fluxcd.controlplane.io/name": "tenant-apps",
            "resourceset.fluxcd.controlplane.io/namespace": "flux-system",
            "platform.acme.io/owner": "platform-team",
        }


def test_inputs_record_their_provider_and_depends_on_is_passed_through():
    expansion = expand_resourceset(TENANT_APPS, [])
    assert [i["tenant"] for i in expansion.inputs] == ["team-a", "team-b"]
    assert expansion.inputs[0]["provider"] == {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSet",
        "name": "tenant-apps",
        "namespace": "flux-system",
    }
    assert expansion.depends_on == TENANT_APPS["spec"]["dependsOn"]
    assert "provider" not in TENANT_APPS["spec"]["inputs"][0]  # the ResourceSet object is left untouched


def test_kustomizations_follow_their_sources_with_nested_values():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: tenants, namespace: flux-system}
spec:
  inputs:
    - tenant: payments
      vars: {cluster_env: prod, region: eu-west-1}
    - tenant: search
      vars: {cluster_env: prod, region: us-east-1}
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      metadata:
        name: << inputs.tenant >>
        namespace: flux-system
      spec:
        interval: 5m
        url: https://github.com/acme/<< inputs.tenant >>-deploy
        ref: {branch: main}
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: << inputs.tenant >>-apps
        namespace: flux-system
        labels:
          generated-by: << inputs.provider.kind | lower >>-<< inputs.provider.name >>
      spec:
        interval: 10m
        path: ./tenants/<< inputs.tenant >>
        prune: true
        targetNamespace: << inputs.tenant >>
        sourceRef:
          kind: GitRepository
          name: << inputs.tenant >>
        postBuild:
          substitute: << inputs.vars | toYaml | nindent 6 >>
""")
    expansion = expand_resourceset(rset, [])

    assert expansion.warnings == []
    kustomizations = of_kind(expansion, "Kustomization")
    assert names(kustomizations) == ["payments-apps", "search-apps"]
    assert names(of_kind(expansion, "GitRepository")) == ["payments", "search"]
    payments = kustomizations[0]
    assert payments["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "payments"}
    assert payments["spec"]["path"] == "./tenants/payments"
    assert payments["spec"]["postBuild"]["substitute"] == {"cluster_env": "prod", "region": "eu-west-1"}
    assert payments["metadata"]["labels"]["generated-by"] == "resourceset-tenants"


def test_static_provider_by_name_contributes_its_default_values():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: podinfo, namespace: apps}
spec:
  inputsFrom:
    - apiVersion: fluxcd.controlplane.io/v1
      kind: ResourceSetInputProvider
      name: podinfo-defaults
  resources:
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: podinfo-<< inputs.env >>
        namespace: apps
      spec:
        chart:
          spec:
            chart: podinfo
            version: << inputs.version | quote >>
            sourceRef: {kind: HelmRepository, name: << inputs.repository >>}
        values:
          replicaCount: << inputs.replicas | int >>
          ingress:
            hosts: << inputs.hosts | toYaml | nindent 12 >>
""")
    providers = [
        static_provider(
            "podinfo-defaults",
            "apps",
            {
                "env": "staging",
                "version": "6.x",
                "repository": "podinfo-charts",
                "replicas": 2,
                "hosts": ["podinfo.staging.acme.io"],
                "id": "ignored",
            },
        ),
        static_provider("podinfo-defaults", "other", {"env": "wrong-namespace"}),
    ]
    expansion = expand_resourceset(rset, providers)

    assert expansion.warnings == []
    (release,) = expansion.objects
    assert release["metadata"]["name"] == "podinfo-staging"
    assert release["spec"]["chart"]["spec"] == {
        "chart": "podinfo",
        "version": "6.x",
        "sourceRef": {"kind": "HelmRepository", "name": "podinfo-charts"},
    }
    assert release["spec"]["values"] == {"replicaCount": 2, "ingress": {"hosts": ["podinfo.staging.acme.io"]}}
    (input_set,) = expansion.inputs
    # the operator's id (Adler-32 of the provider's UID) overrides a default `id`; offline kg
    # uses the checksum of namespace/name as a stand-in
    assert input_set["id"] == str(zlib.adler32(b"apps/podinfo-defaults"))
    assert input_set["provider"] == {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSetInputProvider",
        "name": "podinfo-defaults",
        "namespace": "apps",
    }


def test_a_static_provider_id_used_in_a_name_is_flagged_as_a_stand_in():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: previews, namespace: apps}
spec:
  inputsFrom: [{kind: ResourceSetInputProvider, name: preview-defaults}]
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: preview-<< inputs.id >>, namespace: apps}
""")
    expansion = expand_resourceset(rset, [static_provider("preview-defaults", "apps", {})])

    assert names(expansion.objects) == [f"preview-{zlib.adler32(b'apps/preview-defaults')}"]
    assert len(expansion.warnings) == 1
    assert "ResourceSet apps/previews" in expansion.warnings[0] and "stand-in" in expansion.warnings[0]


def test_static_providers_by_selector_follow_inline_inputs_in_name_order():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: clusters, namespace: fleet}
spec:
  inputs:
    - cluster: management
  inputsFrom:
    - kind: ResourceSetInputProvider
      selector:
        matchLabels: {fleet.acme.io/role: workload}
        matchExpressions:
          - {key: fleet.acme.io/env, operator: In, values: [dev, prod]}
  resources:
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata: {name: << inputs.cluster >>-infra, namespace: fleet}
      spec:
        path: ./clusters/<< inputs.cluster >>
        sourceRef: {kind: GitRepository, name: fleet}
        kubeConfig:
          secretRef: {name: << inputs.cluster >>-kubeconfig}
""")
    workload = {"fleet.acme.io/role": "workload"}
    providers = [
        static_provider("zeta", "fleet", {"cluster": "zeta"}, {**workload, "fleet.acme.io/env": "prod"}),
        static_provider("alpha", "fleet", {"cluster": "alpha"}, {**workload, "fleet.acme.io/env": "dev"}),
        static_provider("beta", "fleet", {"cluster": "beta"}, {**workload, "fleet.acme.io/env": "test"}),
        static_provider("gamma", "elsewhere", {"cluster": "gamma"}, {**workload, "fleet.acme.io/env": "dev"}),
    ]
    expansion = expand_resourceset(rset, providers)

    assert expansion.warnings == []
    assert names(expansion.objects) == ["management-infra", "alpha-infra", "zeta-infra"]
    assert expansion.objects[2]["spec"]["kubeConfig"] == {"secretRef": {"name": "zeta-kubeconfig"}}


def test_permute_combines_every_source_under_its_normalized_name():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: my-rset, namespace: default}
spec:
  inputStrategy:
    name: Permute
  inputs:
    - {id: id1, someField: foo}
    - {id: id2, someField: bar}
  inputsFrom:
    - {kind: ResourceSetInputProvider, name: oci-tag}
    - {kind: ResourceSetInputProvider, name: Git.Tag}
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: my-cm-<< inputs.my_rset.id >>
        namespace: default
      data:
        permutation: << inputs.id | quote >>
        someField: << inputs.my_rset.someField | quote >>
        sha: << inputs.git_tag.sha | quote >>
        digest: << inputs.oci_tag.digest | quote >>
""")
    providers = [
        static_provider("oci-tag", "default", {"digest": "sha256:d4ec98"}),
        static_provider("Git.Tag", "default", {"sha": "bf5d6e01"}),
    ]
    expansion = expand_resourceset(rset, providers)

    assert [sorted(i) for i in expansion.inputs] == [["git_tag", "id", "my_rset", "oci_tag"]] * 2
    # the operator's id of a permutation: Adler-32 of "<source>=<index>/..." (the ResourceSet first,
    # then providers by name)
    assert [i["id"] for i in expansion.inputs] == [
        str(zlib.adler32(b"my_rset=0/git_tag=0/oci_tag=0")),
        str(zlib.adler32(b"my_rset=1/git_tag=0/oci_tag=0")),
    ]
    assert expansion.inputs[1]["my_rset"]["someField"] == "bar"
    assert expansion.inputs[1]["git_tag"]["provider"]["name"] == "Git.Tag"
    assert names(expansion.objects) == ["my-cm-id1", "my-cm-id2"]
    assert expansion.objects[1]["data"] == {
        "permutation": expansion.inputs[1]["id"],
        "someField": "bar",
        "sha": "bf5d6e01",
        "digest": "sha256:d4ec98",
    }


def test_permutation_ids_match_the_operators():
    # the operator's own combine test: sources "rset" (two sets) and "rsip" (one)
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: rset, namespace: default}
spec:
  inputStrategy: {name: Permute}
  inputs: [{id: "42074437"}, {id: "39649590"}]
  inputsFrom: [{kind: ResourceSetInputProvider, name: rsip}]
""")
    expansion = expand_resourceset(rset, [static_provider("rsip", "default", {})])
    assert [i["id"] for i in expansion.inputs] == ["563152006", "563676295"]
    assert expansion.inputs[0]["rset"]["id"] == "42074437"


def test_permute_refuses_more_than_ten_thousand_permutations():
    rset = {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSet",
        "metadata": {"name": "huge", "namespace": "default"},
        "spec": {
            "inputStrategy": {"name": "Permute"},
            "inputs": [{"n": i} for i in range(10_001)],
            "resources": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "cm-<< inputs.huge.n >>", "namespace": "default"},
                }
            ],
        },
    }
    expansion = expand_resourceset(rset, [])
    assert expansion.objects == [] and expansion.inputs == []
    assert any("10,000 permutations" in w for w in expansion.warnings)


BUNDLES = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: bundles, namespace: flux-system}
spec:
  inputs:
    - bundle: addons
      decryption: false
      components: [ingress-nginx, cert-manager]
    - bundle: apps
      decryption: true
      components: [frontend, backend]
  resourcesTemplate: |
    <</* one source per bundle, one Kustomization per component */>>
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: << inputs.bundle >>
      namespace: flux-system
    spec:
      interval: 10m
      url: oci://registry.acme.io/<< inputs.bundle >>
      ref:
        tag: latest
    <<- range $component := inputs.components >>
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: << $component >>
      namespace: flux-system
    spec:
      interval: 1h
      prune: true
      <<- if inputs.decryption >>
      decryption:
        provider: sops
        secretRef:
          name: << inputs.bundle >>-sops
      <<- end >>
      sourceRef:
        kind: OCIRepository
        name: << inputs.bundle >>
      path: ./<< $component >>
    <<- end >>
""")


def test_resources_template_renders_documents_with_range_if_and_trim_markers():
    expansion = expand_resourceset(BUNDLES, [])

    assert expansion.warnings == []
    assert [(o["kind"], o["metadata"]["name"]) for o in expansion.objects] == [
        ("OCIRepository", "addons"),
        ("Kustomization", "ingress-nginx"),
        ("Kustomization", "cert-manager"),
        ("OCIRepository", "apps"),
        ("Kustomization", "frontend"),
        ("Kustomization", "backend"),
    ]
    by_name = {o["metadata"]["name"]: o for o in expansion.objects}
    assert by_name["frontend"]["spec"] == {
        "interval": "1h",
        "prune": True,
        "decryption": {"provider": "sops", "secretRef": {"name": "apps-sops"}},
        "sourceRef": {"kind": "OCIRepository", "name": "apps"},
        "path": "./frontend",
    }
    assert "decryption" not in by_name["cert-manager"]["spec"]
    assert by_name["cert-manager"]["spec"]["sourceRef"] == {"kind": "OCIRepository", "name": "addons"}


def test_template_functions_the_operator_documents():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: apps, namespace: apps}
spec:
  inputs:
    - namespace: team1
      semver: ">=1.0.0-rc.0"
      layerSelector:
        mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
        operation: copy
      enabled: true
    - namespace: team2
      name: custom
      semver: ">=1.0.0"
      enabled: false
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: << get inputs "name" | default inputs.namespace >>
        namespace: << inputs.namespace >>
        labels:
          app.kubernetes.io/version: << inputs.semver | slugify >>
          enabled: << inputs.enabled | quote >>
      spec:
        url: oci://ghcr.io/acme/charts/<< inputs.namespace | upper | lower >>
        ref:
          semver: << inputs.semver | quote >>
        layerSelector: << get inputs "layerSelector" | default dict | toYaml | nindent 4 >>
""")
    expansion = expand_resourceset(rset, [])

    assert expansion.warnings == []
    first, second = expansion.objects
    assert first["metadata"]["name"] == "team1" and second["metadata"]["name"] == "custom"
    assert first["metadata"]["labels"]["app.kubernetes.io/version"] == "1-0-0-rc-0"
    assert first["metadata"]["labels"]["enabled"] == "true"  # quoted: a string label value
    assert first["spec"]["ref"] == {"semver": ">=1.0.0-rc.0"}
    assert first["spec"]["layerSelector"] == {
        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "operation": "copy",
    }
    assert second["spec"]["layerSelector"] == {}


@pytest.mark.parametrize(
    ("template", "inputs", "expected"),
    [
        ('<< inputs.name | quote >> << squote "x" >>', {"name": 'say "hi"'}, '"say \\"hi\\"" \'x\''),
        ('<< inputs.missing | default "fallback" >>', {"missing": None}, "fallback"),
        ('<< "" | default "d" >>|<< 0 | default 7 >>|<< "set" | default "d" >>', {}, "d|7|set"),
        ("<< inputs.v | toYaml >>", {"v": {"b": [1, "two"], "a": True}}, "a: true\nb:\n- 1\n- two\n"),
        ("x:<< inputs.v | toYaml | nindent 2 >>", {"v": {"k": "v"}}, "x:\n  k: v\n  "),
        ("<< inputs.v | toJson >>", {"v": {"b": 1, "a": "<&>"}}, '{"a":"\\u003c\\u0026\\u003e","b":1}'),
        ('<< "Feature/Login Page #42" | slugify >>', {}, "feature-login-page-42"),
        ('<< "ab-cd-ef" | replace "-" "_" | upper | trunc 5 >>', {}, "AB_CD"),
        ('<< printf "%s-%03d-%v" "pr" 7 inputs.n >>', {"n": 1.5}, "pr-007-1.5"),
        (
            '<< join "," (list "a" "b") >> << (split "/" "org/repo")._1 >> << splitList "," "x,y" | len >>',
            {},
            "a,b repo 2",
        ),
        (
            '<< trimPrefix "v" "v1.2" >> << trimSuffix ".git" "repo.git" >> << trim "  x " >> << title "hello world" >>',
            {},
            "1.2 repo x Hello World",
        ),
        (
            '<< contains "na" "banana" >> << hasPrefix "ba" "banana" >> << hasSuffix "x" "banana" >>',
            {},
            "true true false",
        ),
        ('<< $d := dict "a" 1 >><< hasKey $d "a" >> << get $d "zz" | quote >> << index $d "a" >>', {}, 'true "" 1'),
        ('<< toString 42 >> << int "12" >> << add 1 2 3 >> << inputs.n | int >>', {"n": 7.9}, "42 12 6 7"),
        (
            '<< regexReplaceAll `(?P<ver>[0-9]+)\\.x` "v6.x" "${ver}.0.0" >> << regexMatch "^feat/" "feat/ui" >>',
            {},
            "v6.0.0 true",
        ),
        ("<< mul 9223372036854775807 2 >> << div -7 2 >> << mod -7 2 >>", {}, "-2 -3 -1"),  # Go's int64 arithmetic
        # inputs are JSON-decoded: numbers are float64 and print as Go prints them
        ("<< inputs.small >> << inputs.big >> << inputs.big | int >>", {"small": 3, "big": 2000000}, "3 2e+06 2000000"),
    ],
)
def test_template_functions(template: str, inputs: dict[str, Any], expected: str):
    assert render_template(template, inputs) == expected


@pytest.mark.parametrize(
    ("template", "inputs", "expected"),
    [
        ("<< if and inputs.a (not inputs.b) >>yes<< else >>no<< end >>", {"a": 1, "b": False}, "yes"),
        (
            '<< if eq inputs.env "prod" "staging" >>real<< else if ne inputs.env "dev" >>other<< else >>dev<< end >>',
            {"env": "dev"},
            "dev",
        ),
        ("<< if lt (len inputs.l) 3 >>short<< end >> << ge 2.5 1.5 >>", {"l": [1, 2]}, "short true"),
        ("<< range $i, $c := inputs.l >><< if $i >>,<< end >><< $c >><< end >>", {"l": ["a", "b", "c"]}, "a,b,c"),
        ("<< range $k, $v := inputs.m >><< $k >>=<< $v >>;<< end >>", {"m": {"z": "1", "a": "2"}}, "a=2;z=1;"),
        (
            '<< range inputs.l >><< if eq . "skip" >><< continue >><< end >><< if eq . "stop" >><< break >><< end >>'
            "<< . >><< end >>",
            {"l": ["a", "skip", "b", "stop", "c"]},
            "ab",
        ),
        ("<< range inputs.none >>x<< else >>empty<< end >>", {"none": []}, "empty"),
        (
            "<< with inputs.db >><< .host >>:<< .port >><< else >>none<< end >>",
            {"db": {"host": "pg", "port": "5432"}},
            "pg:5432",
        ),
        ("<< $first := index inputs.l 0 >><< range inputs.l >><< $first >><< . >><< end >>", {"l": [1, 2]}, "1112"),
        ('<< index inputs.m "absent" >>|<< inputs.m.present >>', {"m": {"present": None}}, "<no value>|<no value>"),
        ('a  <<- /* trimmed both sides */ ->>  b\n<<- "c" >>', {}, "abc"),
        ("<< `raw \\n` >>|<< 'x' >>|<< 0x1F >>|<< -2 >>", {}, "raw \\n|120|31|-2"),
    ],
)
def test_template_syntax(template: str, inputs: dict[str, Any], expected: str):
    assert render_template(template, inputs) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("<< inputs.semver >>", 'map has no entry for key "semver"'),  # the operator's missingkey=error
        ("<< eq inputs.n 2 >>", "incompatible types for comparison"),  # float64 input vs int constant
        ("<< if inputs.n >>", "unexpected EOF"),
        ("<< end >>", "unexpected <<end>>"),
        ("<< $undeclared >>", "undefined variable"),
        ("<< (inputs.n >>", "unclosed left paren"),
        ('<< "a" | "b" >>', "can't give argument to non-function"),
        ('<< nindent inputs.n "x" >>', "expected int; got float64"),
        ("<< index inputs.l 5 >>", "index out of range: 5"),
        ("<< $.x >>", "nil pointer evaluating interface {}.x"),  # the operator executes with nil data
        ("<< 99999999999999999999 >>", "overflows int"),
        ('<< regexMatch "a\\.b" "a.b" >>', "unknown escape sequence"),  # Go string literals: use `a\.b`
        # work kg bounds: values that grow without end, and regular expressions Python could
        # take exponential time on (Go's RE2 is linear)
        ('<< $d := dict >><< $_ := set $d "self" $d >><< toYaml $d >>', "more than kg allows"),
        ('<< $s := "ab" >><< range until 100 >><< $s = cat $s $s >><< end >>', "returned more than"),
        ('<< "x" | nindent 1000000000 >>', "indentation larger than kg allows"),
        ('<< regexReplaceAll "(a|aa)*c" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" "x" >>', "kg does not evaluate it"),
    ],
)
def test_template_errors_are_the_operators(template: str, message: str):
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace("$", r"\$")):
        render_template(template, {"n": 2, "l": [1]})


def test_unknown_function_is_reported_by_name():
    with pytest.raises(UnknownFunctionError) as raised:
        render_template("<< inputs.x | shout >>", {"x": "a"})
    assert raised.value.function == "shout"


def test_unknown_function_warns_and_skips_only_that_resource():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: notify, namespace: monitoring}
spec:
  inputs: [{team: sre}]
  resources:
    - apiVersion: notification.toolkit.fluxcd.io/v1beta3
      kind: Provider
      metadata: {name: << inputs.team | shout >>, namespace: monitoring}
      spec: {type: slack}
    - apiVersion: notification.toolkit.fluxcd.io/v1beta3
      kind: Alert
      metadata: {name: << inputs.team >>-alerts, namespace: monitoring}
      spec:
        providerRef: {name: << inputs.team >>}
""")
    expansion = expand_resourceset(rset, [])

    assert names(expansion.objects) == ["sre-alerts"]
    (warning,) = expansion.warnings
    assert warning.startswith("ResourceSet monitoring/notify: resources[0]")
    assert "'shout'" in warning


def test_a_missing_input_key_leaves_out_that_object_only():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: app1, namespace: apps}
spec:
  inputs:
    - {tenant: team1, semver: "1.x"}
    - {tenant: team2}
    - {tenant: team3}
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata: {name: app1-<< inputs.tenant >>, namespace: apps}
      spec:
        url: oci://ghcr.io/acme/charts/app1
        ref: {semver: << inputs.semver | quote >>}
""")
    expansion = expand_resourceset(rset, [])

    assert names(expansion.objects) == ["app1-team1"]
    (warning,) = expansion.warnings
    assert 'map has no entry for key "semver"' in warning
    assert "(input set 2)" in warning and "1 more input set" in warning


def test_run_time_provider_warns_and_flatten_keeps_the_known_inputs():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: previews, namespace: podinfo-review}
spec:
  inputs: [{id: main, branch: main}]
  inputsFrom: [{kind: ResourceSetInputProvider, name: podinfo-prs}]
  resources:
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata: {name: podinfo-<< inputs.id >>, namespace: podinfo-review}
      spec:
        path: ./deploy
        sourceRef: {kind: GitRepository, name: podinfo-<< inputs.id >>}
""")
    pull_requests = static_provider(
        "podinfo-prs", "podinfo-review", {"chart": "charts/podinfo"}, provider_type="GitHubPullRequest"
    )
    expansion = expand_resourceset(rset, [pull_requests])

    assert names(expansion.objects) == ["podinfo-main"]
    (warning,) = expansion.warnings
    assert warning.startswith("ResourceSet podinfo-review/previews:")
    assert "GitHubPullRequest" in warning and "run time" in warning


def test_run_time_provider_leaves_permute_and_provider_only_sets_empty():
    base = """
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: previews, namespace: podinfo-review}
spec:
  %s
  inputsFrom: [{kind: ResourceSetInputProvider, name: podinfo-prs}]
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: preview-<< inputs.id >>}
"""
    pull_requests = static_provider("podinfo-prs", "podinfo-review", {}, provider_type="GitLabMergeRequest")
    permuted = expand_resourceset(load(base % "inputStrategy: {name: Permute}\n  inputs: [{id: x}]"), [pull_requests])
    assert permuted.objects == []
    assert any("Permute" in w for w in permuted.warnings)

    provider_only = expand_resourceset(load(base % "wait: true"), [pull_requests])
    assert provider_only.objects == []  # the operator only renders the provider's sets, none known offline
    assert any("GitLabMergeRequest" in w for w in provider_only.warnings)


def test_a_provider_missing_from_the_repository_is_reported():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: apps, namespace: apps}
spec:
  inputs: [{name: a}]
  inputsFrom: [{kind: ResourceSetInputProvider, name: not-committed}, {kind: ConfigMap, name: x}, {}]
  resources:
    - {apiVersion: v1, kind: ConfigMap, metadata: {name: << inputs.name >>, namespace: apps}}
""")
    expansion = expand_resourceset(rset, [])
    assert names(expansion.objects) == ["a"]
    joined = "\n".join(expansion.warnings)
    assert "apps/not-committed is not in the repository" in joined
    assert "kind 'ConfigMap'" in joined and "neither name nor selector" in joined


def test_duplicates_are_generated_once_and_resources_win_over_the_template():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: shared, namespace: apps}
spec:
  inputs: [{tenant: t1}, {tenant: t2}]
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata: {name: podinfo, namespace: apps}
      spec: {url: "oci://ghcr.io/stefanprodan/charts/podinfo", ref: {semver: "*"}}
    - apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: flux
        namespace: << inputs.tenant >>
        annotations:
          fluxcd.controlplane.io/reconcile: << if eq inputs.tenant "t1" >>enabled<< else >>disabled<< end >>
  resourcesTemplate: |
    apiVersion: source.toolkit.fluxcd.io/v1beta2
    kind: OCIRepository
    metadata: {name: podinfo, namespace: apps}
    spec: {url: "oci://example.com/from-template"}
""")
    expansion = expand_resourceset(rset, [])

    assert [(o["kind"], o["metadata"]["name"]) for o in expansion.objects] == [
        ("OCIRepository", "podinfo"),
        ("ServiceAccount", "flux"),
    ]
    assert expansion.objects[0]["spec"]["url"] == "oci://ghcr.io/stefanprodan/charts/podinfo"
    assert expansion.objects[1]["metadata"]["namespace"] == "t1"  # t2's was disabled


def test_without_inputs_each_resource_renders_once():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: crds, namespace: flux-system}
spec:
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: monitoring}
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata: {name: kube-prometheus-stack, namespace: monitoring}
      spec:
        chart:
          spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: prometheus-community}}
""")
    expansion = expand_resourceset(rset, [])
    assert expansion.warnings == [] and expansion.inputs == []
    assert names(expansion.objects) == ["monitoring", "kube-prometheus-stack"]


def test_steps_are_built_in_order():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: staged, namespace: apps}
spec:
  inputs: [{app: web}]
  steps:
    - name: pre-deploy
      resources:
        - {apiVersion: v1, kind: ConfigMap, metadata: {name: << inputs.app >>-config, namespace: apps}}
    - name: deploy
      resourcesTemplate: |
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: << inputs.app >>, namespace: apps}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: << inputs.app >>-config, namespace: apps}
""")
    expansion = expand_resourceset(rset, [])
    assert [(o["kind"], o["metadata"]["name"]) for o in expansion.objects] == [
        ("ConfigMap", "web-config"),
        ("HelmRelease", "web"),
    ]
    assert any("already generated by step 'pre-deploy'" in w for w in expansion.warnings)


def test_no_namespace_is_defaulted():
    rset = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: tenants, namespace: flux-system}
spec:
  inputs: [{tenant: team1}]
  resources:
    - {apiVersion: v1, kind: Namespace, metadata: {name: << inputs.tenant >>}}
    - {apiVersion: v1, kind: ServiceAccount, metadata: {name: << inputs.tenant >>-flux}}
    - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: << inputs.tenant >>}}
""")
    expansion = expand_resourceset(rset, [])
    assert all("namespace" not in o["metadata"] for o in expansion.objects)
    (warning,) = expansion.warnings
    assert "ServiceAccount team1-flux has no metadata.namespace" in warning


@pytest.mark.parametrize(
    ("spec", "expected_warning"),
    [
        ({"inputs": {"tenant": "a"}}, "spec.inputs is a mapping, not a list"),
        ({"inputs": ["tenant-a", {"tenant": "b"}]}, "spec.inputs[0] is a string"),
        ({"resources": {"kind": "ConfigMap"}}, "spec.resources is a mapping, not a list"),
        ({"resources": ["not an object"]}, "spec.resources[0] is a string"),
        ({"resourcesTemplate": ["a"]}, "spec.resourcesTemplate is a list, not a string"),
        ({"inputsFrom": "podinfo-prs"}, "spec.inputsFrom is a string, not a list"),
        ({"inputStrategy": {"name": "Shuffle"}, "inputs": [{}]}, "unknown spec.inputStrategy.name 'Shuffle'"),
        ({"dependsOn": "crds"}, "spec.dependsOn is a string"),
        (
            {
                "commonMetadata": "x",
                "resources": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}],
            },
            "spec.commonMetadata is a string",
        ),
        ({"resourcesTemplate": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n"}, "invalid YAML"),
        ({"resources": [{"apiVersion": "v1", "metadata": {"name": "x"}}]}, "renders an object without kind"),
    ],
)
def test_malformed_specs_warn_instead_of_raising(spec: dict[str, Any], expected_warning: str):
    rset = {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSet",
        "metadata": {"name": "odd", "namespace": "apps"},
        "spec": spec,
    }
    expansion = expand_resourceset(rset, [])
    assert isinstance(expansion, Expansion)
    assert any(expected_warning in w and w.startswith("ResourceSet apps/odd: ") for w in expansion.warnings), (
        expansion.warnings
    )


def test_not_a_resourceset_or_no_spec():
    assert expand_resourceset({"kind": "ConfigMap"}, []).warnings
    assert expand_resourceset("nonsense", None).objects == []  # type: ignore[arg-type]
    no_spec = expand_resourceset(
        {
            "apiVersion": "fluxcd.controlplane.io/v1",
            "kind": "ResourceSet",
            "metadata": {"name": "x", "namespace": "y"},
            "spec": "?",
        },
        [],
    )
    assert no_spec.warnings == ["ResourceSet y/x: spec is missing or not a mapping: nothing expanded"]


def test_kind_predicates():
    assert is_resourceset(TENANT_APPS)
    assert not is_resourceset({"apiVersion": "other.io/v1", "kind": "ResourceSet"})
    assert is_input_provider(static_provider("p", "ns", {}))
    assert not is_input_provider(TENANT_APPS) and not is_input_provider(None)


def test_the_work_is_bounded(monkeypatch: pytest.MonkeyPatch):
    many = load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: many, namespace: apps}
spec:
  resourcesTemplate: |
    << range $i := until 50 >>
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm-<< $i >>, namespace: apps}
    << end >>
""")
    monkeypatch.setattr(resourceset, "MAX_OBJECTS", 20)
    limited = expand_resourceset(many, [])
    assert len(limited.objects) == 20
    assert any("more than 20 generated objects" in w for w in limited.warnings)

    monkeypatch.setattr(resourceset, "MAX_STEPS", 1_000)
    spinning = expand_resourceset(
        load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: spin, namespace: apps}
spec:
  resourcesTemplate: "<< range until 100000 >><< range until 100000 >><< end >><< end >>"
"""),
        [],
    )
    assert any("template evaluation steps" in w for w in spinning.warnings)

    monkeypatch.setattr(resourceset, "MAX_OUTPUT_BYTES", 10_000)
    big = expand_resourceset(
        load("""
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: big, namespace: apps}
spec:
  inputs: [{pad: x}]
  resourcesTemplate: "<< \\"x\\" | repeat 20000 >>"
"""),
        [],
    )
    assert big.objects == [] and big.warnings


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=32),
    st.sampled_from(
        [
            "",
            "x",
            "<< inputs.a >>",
            "<<",
            "<< end >>",
            "<< range . >>",
            "Static",
            "Permute",
            "ResourceSetInputProvider",
            "p",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "kind",
                    "apiVersion",
                    "metadata",
                    "spec",
                    "id",
                    "a",
                    "selector",
                    "matchLabels",
                    "type",
                    "defaultValues",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
_SPEC_KEYS = st.sampled_from(
    ["inputs", "inputsFrom", "inputStrategy", "resources", "resourcesTemplate", "steps", "commonMetadata", "dependsOn"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.dictionaries(_SPEC_KEYS, _VALUES, max_size=6), providers=st.lists(_VALUES, max_size=3))
def test_odd_specs_never_raise(spec: dict[str, Any], providers: list[Any]):
    rset = {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSet",
        "metadata": {"name": "fuzz", "namespace": "p"},
        "spec": spec,
    }
    expansion = expand_resourceset(rset, providers)
    assert all(w.startswith("ResourceSet p/fuzz: ") for w in expansion.warnings)


_TEMPLATE_PIECES = st.sampled_from(
    list("<>-$.|()\"'` abcdeif0123:=,/*\n")
    + [
        "<<",
        ">>",
        "<<- ",
        " ->>",
        "inputs",
        "inputs.a",
        "range ",
        "end",
        "if ",
        "else",
        "with ",
        "$x := ",
        "printf",
        "quote",
        "default",
        "index",
        "break",
        "/*",
        "*/",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEMPLATE_PIECES, max_size=30).map("".join))
def test_odd_templates_render_or_raise_template_error(template: str):
    try:
        assert isinstance(render_template(template, {"a": [1], "b": "x"}), str)
    except TemplateError:
        pass
