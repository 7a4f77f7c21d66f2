"""ExternalArtifacts assembled by a Flux ArtifactGenerator (source.extensions.fluxcd.io).

Copy rules, as the generator applies them to its sources (`@alias/...` -> `@artifact/...`):
- `from` with a glob (`*` within a folder, `**` across folders, `?`): every matching file;
  its path below the part of `from` before the first glob segment is kept under `to`
  (`@monorepo/apps/base/**` -> `@artifact/base/`: apps/base/podinfo/x.yaml -> base/podinfo/x.yaml);
- `from` naming a file: copied into `to` when `to` ends with `/`, else copied as `to`;
- `from` naming a folder: its files are copied into `to/<folder name>/` when `to` ends with `/`,
  else into `to/`;
- `exclude` globs drop files whose path (below the alias root) matches.
Sources that are not this repository make the artifact unresolved.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from .kustomize import Tree

GLOB_CHARS = re.compile(r"[*?\[]")


def glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def artifact_tree(
    tree_name: str,
    artifact: dict[str, Any],
    alias_roots: dict[str, str | None],
    repo_files: list[str],
) -> tuple[Tree | None, list[str]]:
    """The tree of one generated artifact. `alias_roots` maps each source alias to the
    repo folder it stands for ("" = repo root, None = not this repository)."""
    problems: list[str] = []
    tree = Tree(tree_name)
    for op in artifact.get("copy") or []:
        if not isinstance(op, dict):
            continue
        source, target = str(op.get("from") or ""), str(op.get("to") or "")
        if not source.startswith("@") or not target.startswith("@artifact"):
            problems.append(f"copy from {source!r} to {target!r}: not of the form @alias/... -> @artifact/...")
            continue
        alias, _, pattern = source[1:].partition("/")
        root = alias_roots.get(alias)
        if root is None:
            problems.append(f"source @{alias} is not this repository")
            continue
        dest = target[len("@artifact") :].lstrip("/")
        excludes = [glob_regex(e) for e in op.get("exclude") or [] if isinstance(e, str)]
        below = [f[len(root) + 1 :] if root else f for f in repo_files if not root or f.startswith(root + "/")]
        copied = _copy(pattern, dest, below, excludes, tree, root)
        if not copied:
            problems.append(f"copy from {source} matched no file")
    return (tree if tree.files else None), problems


def _copy(pattern: str, dest: str, files: list[str], excludes: list[re.Pattern[str]], tree: Tree, root: str) -> int:
    def keep(rel: str) -> bool:
        return not any(e.fullmatch(rel) for e in excludes)

    segments = pattern.strip("/").split("/") if pattern.strip("/") else []
    count = 0
    if any(GLOB_CHARS.search(s) for s in segments):
        base_parts = []
        for s in segments:
            if GLOB_CHARS.search(s):
                break
            base_parts.append(s)
        base = "/".join(base_parts)
        regex = glob_regex(pattern.strip("/"))
        for rel in files:
            if regex.fullmatch(rel) and keep(rel):
                tree.files[_join(dest, rel[len(base) :])] = _join(root, rel)
                count += 1
        tree.dirs.setdefault(dest.rstrip("/"), _join(root, base))
        return count
    path = pattern.strip("/")
    if path in files:  # a file
        target = _join(dest, posixpath.basename(path)) if (dest.endswith("/") or not dest) else dest
        if keep(path):
            tree.files[target] = _join(root, path)
            count += 1
        return count
    folder_dest = _join(dest, posixpath.basename(path)) if (dest.endswith("/") or not dest) else dest.rstrip("/")
    for rel in files:
        if (not path or rel.startswith(path + "/")) and keep(rel):
            tree.files[_join(folder_dest, rel[len(path) :])] = _join(root, rel)
            count += 1
    tree.dirs.setdefault(folder_dest, _join(root, path))
    return count


def find_artifact(generators: list[dict[str, Any]], name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(generator, artifact spec) of the artifact called `name` among the generators."""
    for generator in generators:
        for artifact in (generator.get("spec") or {}).get("artifacts") or []:
            if isinstance(artifact, dict) and artifact.get("name") == name:
                return generator, artifact
    return None


AliasResolver = Callable[[str, str, str], "str | None"]
