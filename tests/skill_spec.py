"""An Agent Skills SKILL.md checker written from the specification (agentskills.io),
independent of kg's own check in kg/skill/markdown.py:

- the file starts with YAML frontmatter between `---` lines, followed by a Markdown body;
- only the fields name, description, license, compatibility, metadata, allowed-tools;
- name: required, 1-64 characters, lowercase letters, digits and hyphens, no hyphen at
  either end, no `--`, equal to the name of the skill's folder;
- description: required, non-empty, at most 1024 characters, and (as Claude's skill
  loader requires) no `<` or `>`;
- compatibility: at most 500 characters; metadata: a map of strings to strings;
  allowed-tools: a string;
- the body: kept under 500 lines (the spec's recommendation for SKILL.md).
"""

from __future__ import annotations

import yaml

ALLOWED = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


def skill_md_problems(text: str, folder: str) -> list[str]:
    problems: list[str] = []
    lines = text.split("\n")
    if not lines or lines[0] != "---":
        return ["does not start with a --- line"]
    try:
        end = lines.index("---", 1)
    except ValueError:
        return ["frontmatter is not closed by a --- line"]
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        return [f"frontmatter is not YAML: {exc}"]
    if not isinstance(data, dict):
        return ["frontmatter is not a mapping"]
    for field in sorted(set(data) - ALLOWED):
        problems.append(f"field {field!r} is not in the specification")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append("name is required")
    else:
        if len(name) > 64:
            problems.append("name is longer than 64 characters")
        if any(not (c.islower() and c.isalpha() or c.isdigit() or c == "-") for c in name) or not name.isascii():
            problems.append("name may hold only lowercase letters, digits and hyphens")
        if name.startswith("-") or name.endswith("-"):
            problems.append("name starts or ends with a hyphen")
        if "--" in name:
            problems.append("name holds consecutive hyphens")
        if name != folder:
            problems.append(f"name {name!r} differs from the folder {folder!r}")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("description is required")
    else:
        if len(description) > 1024:
            problems.append("description is longer than 1024 characters")
        if "<" in description or ">" in description:
            problems.append("description holds < or >")
    if "compatibility" in data and (not isinstance(data["compatibility"], str) or len(data["compatibility"]) > 500):
        problems.append("compatibility must be a string of at most 500 characters")
    if "metadata" in data:
        meta = data["metadata"]
        if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            problems.append("metadata must map strings to strings")
    if "allowed-tools" in data and not isinstance(data["allowed-tools"], str):
        problems.append("allowed-tools must be a string")
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        problems.append("the Markdown body is empty")
    if len(text.splitlines()) >= 500:
        problems.append(f"{len(text.splitlines())} lines: keep SKILL.md under 500")
    return problems
