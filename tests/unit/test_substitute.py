"""Flux post-build substitution semantics (fluxcd/pkg/envsubst as kustomize-controller uses it)."""

from kg.loaders.substitute import VarValue, referenced_variables, substitute

VARS = {
    "cluster_name": VarValue("platform-cluster-01", "ConfigMap flux-system/cluster-vars"),
    "empty": VarValue("", "inline"),
    "token": VarValue(None, "Secret flux-system/cluster-secrets", redacted=True),
}


def sub(text: str) -> str:
    return substitute(text, VARS).text


def test_plain_reference_is_replaced():
    assert sub("name: ${cluster_name}-x") == "name: platform-cluster-01-x"


def test_dollar_without_braces_is_left_alone():
    assert sub("cmd: echo $cluster_name") == "cmd: echo $cluster_name"


def test_double_dollar_escapes_a_reference():
    assert sub("a: $${cluster_name}") == "a: ${cluster_name}"


def test_defaults_distinguish_unset_from_empty():
    assert sub("${missing:=d1} ${missing:-d2} ${missing=d3} ${missing-d4}") == "d1 d2 d3 d4"
    # `:-`/`:=` also replace an empty value; `-`/`=` keep it
    assert sub("[${empty:-d}] [${empty-d}] [${empty:=d}] [${empty=d}]") == "[d] [] [d] []"
    assert sub("${cluster_name:-d}") == "platform-cluster-01"


def test_default_may_reference_another_variable():
    assert sub("${missing:=${cluster_name}}") == "platform-cluster-01"


def test_undefined_variable_becomes_empty_and_is_reported():
    result = substitute("url: https://${subdomain}.example.com", VARS)
    assert result.text == "url: https://.example.com"
    assert result.unresolved == ["subdomain"]


def test_secret_variable_stays_symbolic_and_is_reported_redacted():
    result = substitute("password: ${token}\nhost: ${cluster_name}", VARS)
    assert "${token}" in result.text
    assert "platform-cluster-01" in result.text
    assert result.redacted == ["token"]
    assert result.unresolved == []


def test_case_functions():
    assert sub("${cluster_name^^}") == "PLATFORM-CLUSTER-01"
    assert sub("${cluster_name^}") == "Platform-cluster-01"


def test_referenced_variables_excludes_escapes():
    assert referenced_variables("${a} $${b} ${c:-${d}} $e") == ["a", "c", "d"]


def test_opt_out_label_keeps_the_object_raw(tmp_path, example_repo):
    """An object labelled kustomize.toolkit.fluxcd.io/substitute: disabled is applied as written."""
    import shutil

    import yaml

    from kg.loaders import load_repo

    repo = tmp_path / "repo"
    shutil.copytree(example_repo, repo)
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "raw-config", "labels": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}},
        "data": {"URL": "https://git.${subdomain}.${domain}"},
    }
    (repo / "apps/gitservice/raw-config.yaml").write_text(yaml.safe_dump(cm))
    kfile = repo / "apps/gitservice/kustomization.yaml"
    k = yaml.safe_load(kfile.read_text())
    k["resources"].append("raw-config.yaml")
    kfile.write_text(yaml.safe_dump(k))
    gd = load_repo(repo).graph
    key = gd.nodes["repo:platform-cluster/ConfigKey/gitservice/raw-config/URL"]
    assert key.props["value"] == "https://git.${subdomain}.${domain}"
    assert "variables" not in key.props


def test_a_multi_line_value_is_substituted_in_kustomize_s_own_text(tmp_path, example_repo):
    """Flux substitutes each object's YAML as kustomize prints it: a multi-line string is a
    literal block there, so a value with a quote lands in it intact. Substituting a
    re-dump (PyYAML writes such a string single-quoted) turned the quote into invalid YAML
    and the object was kept unsubstituted, with a warning Flux would not give."""
    import shutil

    import yaml

    from kg.loaders import load_repo

    repo = tmp_path / "repo"
    shutil.copytree(example_repo, repo)
    variables = repo / "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"
    variables.write_text(variables.read_text().rstrip("\n") + "\n  greeting: it's me, hello\n")
    script = "echo ${greeting}\necho done\n"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "run-script"}, "data": {"run.sh": script}}
    (repo / "apps/gitservice/run-script.yaml").write_text(yaml.safe_dump(cm))
    kfile = repo / "apps/gitservice/kustomization.yaml"
    k = yaml.safe_load(kfile.read_text())
    k["resources"].append("run-script.yaml")
    kfile.write_text(yaml.safe_dump(k))
    result = load_repo(repo, charts=False)
    assert not [w for w in result.warnings if "run-script" in w.reason], result.warnings
    key = result.graph.nodes["repo:platform-cluster/ConfigKey/gitservice/run-script/run.sh"]
    assert key.props["value"] == "echo it's me, hello\necho done\n"
    assert key.props["variables"] == ["greeting"]
