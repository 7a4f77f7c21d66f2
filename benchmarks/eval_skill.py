"""Twelve on-call questions about examples/platform, answered from an exported skill alone:
for each, whether SKILL.md answers it by itself, else which data file an assistant must
read on top, and how many bytes that costs. Compare two exports (before and after a
change) side by side:

    kg load examples/platform --graph /tmp/g && kg export --graph /tmp/g --out /tmp/after
    python benchmarks/eval_skill.py /tmp/before /tmp/after

A question counts as answered by a file when the facts of its answer are there together
(on one line of SKILL.md, or at the entry of a data file). An evaluation, not a test:
the facts are this example's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Check = Callable[[str], bool]
DataCheck = tuple[str, Callable[[dict[str, Any]], bool]]


def line_has(*words: str) -> Check:
    return lambda text: any(all(w in line for w in words) for line in text.splitlines())


def all_of(*checks: Check) -> Check:
    return lambda text: all(c(text) for c in checks)


def entry(section: str, key: str, test: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda doc: key in doc.get(section, {}) and bool(test(doc[section][key]))


# (question, what SKILL.md must hold to answer it alone, the data file that answers it otherwise)
QUESTIONS: list[tuple[str, Check, DataCheck | None]] = [
    (
        "Where does celery-beat run: namespace, workload name, Kustomization?",
        line_has("| **celery-beat** |", "backend-services", "| beat |", "runwhen-backend-services"),
        ("services", entry("services", "celery-beat", lambda e: e["deployment"] == "beat")),
    ),
    (
        "Which Vault paths and role give slackbot its credentials?",
        line_has("vault-slackbot", "shared/data/slackbot", "| shared_secrets |"),
        (
            "secrets-map",
            entry("secretProviderClasses", "vault-slackbot", lambda e: e["vaultRole"] and e["secrets"]),
        ),
    ),
    (
        "What GIT_SERVICE_URL does papi get in the cluster (after substitution)?",
        line_has("GIT_SERVICE_URL", "https://git.nonprod.runwhen.com"),
        (
            "configmaps",
            entry("configMaps", "papi-env-vars-cm", lambda e: "GIT_SERVICE_URL" in e.get("resolvedKeys", {})),
        ),
    ),
    (
        "What breaks if neo4j goes down (who calls it)?",
        line_has("HelmRelease neo4j", "modelsync", "papi", "usearch-indexer", "usearch-query"),
        ("services", entry("services", "papi", lambda e: "backend-services/neo4j" in e.get("calls", []))),
    ),
    (
        "What must be Ready before runwhen-backend-services reconciles?",
        line_has("runwhen-backend-services", "also waits for linkerd, vault"),
        (
            "flux-resources",
            entry("kustomizations", "runwhen-backend-services", lambda e: set(e["dependsOn"]) >= {"vault", "linkerd"}),
        ),
    ),
    (
        "LogQL for sobrain's errors: which labels, which datasource, which tenant header?",
        all_of(line_has("X-Scope-OrgID", "runwhen-nonprod"), line_has('app="', 'cluster="platform-cluster-01"')),
        (
            "configmaps",
            entry(
                "configMaps",
                "alloy-config",
                lambda e: "X-Scope-OrgID" in json.dumps(e) and "loki.write" in json.dumps(e),
            ),
        ),
    ),
    (
        "PromQL for papi's CPU: which store holds container metrics, with which tenant?",
        line_has("datasource mimir", "runwhen-nonprod"),
        (
            "configmaps",
            entry("configMaps", "alloy-config", lambda e: "prometheus.remote_write" in json.dumps(e)),
        ),
    ),
    (
        "Who reads key PAPI_SERVICE_URL of papi-env-vars-cm, and how?",
        line_has("PAPI_SERVICE_URL", "envFrom"),
        (
            "configmaps",
            entry("configMaps", "papi-env-vars-cm", lambda e: "PAPI_SERVICE_URL" in e.get("keyReaders", {})),
        ),
    ),
    (
        "Which HelmReleases run in backend-services, with which chart versions?",
        all_of(line_has("`neo4j`", "neo4j 5.20.0"), line_has("`redis-sentinel`", "redis 19.6.4")),
        ("flux-resources", entry("helmReleases", "neo4j", lambda e: e["chartVersion"] == "5.20.0")),
    ),
    (
        "How do I regenerate this skill after the repository changed?",
        line_has("kg export"),
        None,
    ),
    (
        "Which service account does papi run as (the name its Vault role binds)?",
        line_has("papi", "serviceAccount", "default"),
        ("services", entry("services", "papi", lambda e: e.get("serviceAccount") == "default")),
    ),
    (
        "What does celery-worker call?",
        line_has("| **celery-worker** |", "papi", "redis-sentinel"),
        (
            "services",
            entry("services", "celery-worker", lambda e: "backend-services/redis-sentinel" in e.get("calls", [])),
        ),
    ),
]


def evaluate(out: Path) -> list[tuple[str, list[str], int]]:
    guide = out / "flux-infra-guide"
    skill = (guide / "SKILL.md").read_text()
    regenerate = out / "flux-infra-guide-regenerate" / "SKILL.md"
    results = []
    for question, in_skill, data in QUESTIONS:
        files = [guide / "SKILL.md"]
        if data is None:  # the regenerate skill's own question
            files = [regenerate] if in_skill(regenerate.read_text()) else []
        elif not in_skill(skill):
            stem, check = data
            path = guide / "data" / f"{stem}.json"
            files = files + [path] if check(json.loads(path.read_text())) else []
        names = [str(f.relative_to(out)) for f in files] or ["not answerable"]
        results.append((question, names, sum(f.stat().st_size for f in files)))
    return results


def main(argv: list[str]) -> int:
    exports = [Path(a) for a in argv] or [Path("skill")]
    table = [evaluate(out) for out in exports]
    header = "| question | " + " | ".join(f"{out}: files (bytes)" for out in exports) + " |"
    print(header)
    print("|---" * (len(exports) + 1) + "|")
    for i, (question, _, _) in enumerate(table[0]):
        cells = []
        for results in table:
            _, names, size = results[i]
            short = ", ".join(
                n.replace("flux-infra-guide/", "").replace("flux-infra-guide-regenerate/", "regenerate/") for n in names
            )
            cells.append(f"{short} ({size:,})")
        print(f"| {question} | " + " | ".join(cells) + " |")
    for out, results in zip(exports, table):
        alone = sum(1 for _, names, _ in results if len(names) == 1 and names[0] != "not answerable")
        missing = sum(1 for _, names, _ in results if names == ["not answerable"])
        total = sum(size for _, _, size in results)
        print(
            f"{out}: {alone} of {len(results)} answered by one file, {missing} not answerable, {total:,} bytes read in all"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
