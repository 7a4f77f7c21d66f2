"""SKILL.md of the exported skills against the Agent Skills specification (the checker in
tests/skill_spec.py, written from the spec), from query rows (no database): the seed's
sections, tables from the data, a dependsOn tree, and under 500 lines however big the
repository."""

import sys
from pathlib import Path

from kg.skill import documents, markdown

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from skill_spec import skill_md_problems  # noqa: E402
from test_export_documents import kustomization, rows_with_collisions, workload  # noqa: E402

META = {
    "generatedFrom": "infra",
    "generatedAt": "2026-02-02T10:00:00Z",
    "gitRevision": "abc123",
    "fluxRepoPath": "infra",
    "fluxRepoUrl": "https://example.com/infra.git",
    "clusters": ["c1", "c2"],
}
SECTIONS = (
    "## When to Use This Skill", "## Loading Data Files", "## Service Map", "### Namespaces", "## Flux Resources",
    "### Debugging Flux Failures", "## Secrets Map", "### Secret Flow Diagram", "## ConfigMaps", "### Variable Substitution Flow",
    "## Observability", "## Dependencies", "### Flux Dependency Chain",
)  # fmt: skip


def render(rows):
    docs = {stem: {**body, "metadata": META} for stem, body in documents.build(rows).items()}
    return markdown.guide(docs, rows, META), markdown.regenerate(docs, META, None)


def test_the_checker_knows_the_spec():
    good = "---\nname: my-skill\ndescription: Does a thing. Use when asked to do it.\n---\n\n# Body\n"
    assert skill_md_problems(good, "my-skill") == []
    assert skill_md_problems(good, "other") == ["name 'my-skill' differs from the folder 'other'"]
    bad = {
        "name: My-Skill": "lowercase",
        "name: my--skill": "consecutive hyphens",
        "name: -my-skill": "starts or ends with a hyphen",
        "name: " + "a" * 65: "longer than 64",
    }
    for line, expected in bad.items():
        problems = skill_md_problems(good.replace("name: my-skill", line), line.split(": ")[1])
        assert any(expected in p for p in problems), (line, problems)
    assert any(
        "< or >" in p for p in skill_md_problems(good.replace("Does a thing.", "Does <b>a</b> thing."), "my-skill")
    )
    assert any("1024" in p for p in skill_md_problems(good.replace("Does a thing.", "x" * 1025), "my-skill"))
    # the seed plan's own frontmatter: `triggers` is not a field of the spec
    seed = "---\nname: my-skill\ndescription: Infra reference\ntriggers:\n  - infrastructure guide\n---\n\nbody\n"
    assert skill_md_problems(seed, "my-skill") == ["field 'triggers' is not in the specification"]
    assert any("under 500" in p for p in skill_md_problems(good + "line\n" * 500, "my-skill"))


def test_both_skill_files_pass_the_spec_and_carry_the_seed_sections():
    guide, regenerate = render(rows_with_collisions())
    assert skill_md_problems(guide, "flux-infra-guide") == []
    assert skill_md_problems(regenerate, "flux-infra-guide-regenerate") == []
    for heading in SECTIONS:
        assert f"\n{heading}\n" in guide, heading
    for phrase in markdown.GUIDE_TRIGGERS:
        assert phrase in guide.split("---")[1]  # folded into the description
    assert "kg load infra --repo-name infra" in regenerate
    assert 'kg export --check --out "$SKILLS_DIR" --repo infra' in regenerate
    assert "cannot reach Neo4j at" in regenerate and "| 3 |" in regenerate


def test_dependency_tree_places_each_kustomization_under_its_deepest_dependency():
    ks = {
        "infrastructure": kustomization("c", "infrastructure"),
        "vault": kustomization("c", "vault", ["flux-system/infrastructure"]),
        "linkerd": kustomization("c", "linkerd", ["flux-system/infrastructure"]),
        "apps": kustomization("c", "apps", ["flux-system/vault", "flux-system/linkerd"]),
        "web": kustomization("c", "web", ["flux-system/apps"]),
        "lonely": kustomization("c", "lonely"),
        "a": kustomization("c", "a", ["flux-system/b"]),
        "b": kustomization("c", "b", ["flux-system/a"]),
    }
    docs = documents.flux_resources(
        {"kustomizations": list(ks.values()), "manages": [], "helmreleases": [], "sources": []}
    )
    assert markdown.dependency_tree(docs["kustomizations"]) == [
        "infrastructure",
        "    ├──► linkerd",
        "    │    └──► apps  (also waits for vault)",
        "    │         └──► web",
        "    └──► vault",
        "no dependsOn: lonely",
        "in a dependsOn cycle (never reconciled): a, b",
    ]


def test_a_big_repository_still_gets_a_short_skill_md():
    rows = rows_with_collisions()
    rows["services"] = [workload("c1", f"ns-{i % 40}", f"svc-{i}", calls=[f"ns-0/svc-{i - 1}"]) for i in range(400)]
    rows["kustomizations"] = [kustomization("c1", "flux-system", root=True)] + [
        kustomization("c1", f"k-{i}", [f"flux-system/k-{i - 1}"] if i else []) for i in range(120)
    ]
    rows["namespaces"] = [
        {
            "cluster": "c1",
            "name": f"ns-{i}",
            "declared": True,
            "workloads": [f"svc-{i}"],
            "helm_releases": [],
            "kustomizations": ["apps"],
        }
        for i in range(60)
    ]
    guide, _ = render(rows)
    assert skill_md_problems(guide, "flux-infra-guide") == []
    assert "more lines: see dependsOn in data/flux-resources.json" in guide
