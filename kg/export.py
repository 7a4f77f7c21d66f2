"""`kg export`: the graph flattened into the flux-infra-guide skill (formats from the
seed plan): DIR/flux-infra-guide/data/{services,flux-resources,secrets-map,configmaps}.json,
DIR/flux-infra-guide/SKILL.md and DIR/flux-infra-guide-regenerate/SKILL.md.

- Values come from the export queries in cypher/export/ (kg/skill/documents.py).
- Names that collide get the key policy of kg/skill/keys.py, in every file.
- Each JSON file is validated against its schema (kg/skill/schemas/) before anything
  is written; a failure is one line and leaves DIR untouched.
- Output is byte-stable: sorted keys, sorted lists, two-space indent, trailing newline,
  and `generatedAt` from --timestamp, SOURCE_DATE_EPOCH or the repo's commit time.
- `--check` compares DIR with what would be written and summarises the difference.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kg import cypher_files
from kg.errors import KgError, NotFound
from kg.skill import documents, markdown
from kg.skill.keys import assign_keys
from kg.store.base import QueryRunner

__all__ = ["assign_keys", "build_files", "check", "dumps", "generated_at", "write_files"]

SKILL_DIR = markdown.GUIDE
REGENERATE_DIR = markdown.REGENERATE
DATA_DIR = f"{SKILL_DIR}/data"


def _utc(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generated_at(timestamp: str | None, repo_commit_time: str | None, loaded_at: str | None = None) -> str:
    """--timestamp, else SOURCE_DATE_EPOCH, else the repo's last commit time, else the
    time of the load (a folder outside git: still the same for every export of one load)."""
    if timestamp:
        try:
            return _utc(timestamp)
        except ValueError:
            raise KgError(f"--timestamp {timestamp!r} is not an ISO-8601 time (e.g. 2026-02-02T10:00:00Z)") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise KgError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    for moment in (repo_commit_time, loaded_at):
        if moment:
            return _utc(moment)
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_repo(store: QueryRunner, repo: str | None) -> dict[str, Any]:
    if repo:
        rows = store.query(cypher_files.text("export/repo.cypher"), {"repo": repo})
        if not rows:
            raise NotFound(f"repository {repo!r} has not been loaded into this database (run `kg load`)")
        return rows[0]
    repos = store.query(cypher_files.text("db/repos.cypher"))
    if not repos:
        raise NotFound("the database holds no loaded repository: run `kg load PATH` first")
    if len(repos) > 1:
        names = ", ".join(r["repo"] for r in repos)
        raise KgError(f"several repositories are loaded ({names}): choose one with --repo")
    return store.query(cypher_files.text("export/repo.cypher"), {"repo": repos[0]["repo"]})[0]


def metadata(repo: dict[str, Any], timestamp: str | None, clusters: list[str] | None) -> dict[str, Any]:
    return {
        "generatedFrom": repo["name"],
        "generatedAt": generated_at(timestamp, repo.get("git_commit_time"), repo.get("loaded_at")),
        "gitRevision": repo.get("git_revision") or "",
        # never the local path of the machine that loaded it: the folder within its checkout, and the remote
        "fluxRepoPath": repo.get("git_subdir") or ".",
        "fluxRepoUrl": documents.safe_url(repo.get("git_remote")),
        "clusters": sorted(clusters or repo.get("clusters") or []),  # collect() order is not kept
    }


def dumps(document: dict[str, Any]) -> str:
    """Byte-stable JSON: sorted keys, two-space indent, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- schemas ---------------------------------------------------------------------
@cache
def schema(stem: str) -> dict[str, Any]:
    """The JSON Schema of one data file, shipped in the package (kg/skill/schemas/)."""
    data_file = next(f for f in documents.DATA_FILES if f.stem == stem)
    text = resources.files("kg.skill").joinpath(data_file.schema).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(stem: str, document: dict[str, Any]) -> None:
    """One readable line when the document breaks its schema (nothing is written then)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema(stem)).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message.splitlines()[0][:200]
        raise KgError(f"export: data/{stem}.json does not match its schema at {where}: {message}; nothing was written")


# -- build -----------------------------------------------------------------------
def build_files(
    store: QueryRunner,
    repo: str | None,
    clusters: list[str] | None,
    timestamp: str | None,
    with_status: bool = False,
) -> dict[str, str]:
    """Relative path -> content of every exported file (validated; nothing written yet).
    `with_status`: flux-resources.json gains the loaded status snapshots (`status`)."""
    repo_row = resolve_repo(store, repo)
    meta = metadata(repo_row, timestamp, clusters)
    rows = documents.fetch(store, repo_row["name"], clusters)
    docs = {stem: {**body, "metadata": meta} for stem, body in documents.build(rows).items()}
    if with_status:
        status_rows = documents.fetch(store, repo_row["name"], clusters, documents.STATUS_QUERIES)
        if not status_rows["status_snapshots"]:
            raise NotFound(
                f"--with-status: no status snapshot is loaded for {repo_row['name']!r}: "
                "run `kg status load FILE --cluster NAME` (or --live) first"
            )
        docs["flux-resources"]["status"] = documents.status_section(status_rows)
    written = {stem: documents.published(stem, document) for stem, document in docs.items()}
    for stem, document in written.items():
        validate(stem, document)
    files = {f"{DATA_DIR}/{stem}.json": dumps(document) for stem, document in written.items()}
    files[f"{SKILL_DIR}/SKILL.md"] = markdown.guide(docs, rows, meta)
    files[f"{REGENERATE_DIR}/SKILL.md"] = markdown.regenerate(docs, meta, clusters)
    for relative, content in files.items():
        lines = len(content.splitlines())
        if relative.endswith("SKILL.md") and lines >= markdown.MAX_LINES:
            raise KgError(
                f"export: {relative} has {lines} lines, over the {markdown.MAX_LINES} a skill may have; nothing was written"
            )
    return files


# -- check -----------------------------------------------------------------------
def _existing(out: Path, files: dict[str, str]) -> dict[str, str]:
    """What DIR holds of the export: the files it would write, plus stale data files."""
    found = {}
    data = out / DATA_DIR
    candidates = set(files) | ({f"{DATA_DIR}/{p.name}" for p in data.glob("*.json")} if data.is_dir() else set())
    for relative in sorted(candidates):
        target = out / relative
        if target.is_file():
            found[relative] = target.read_text(encoding="utf-8", errors="replace")
    return found


def _section_changes(old: Any, new: Any) -> list[str]:
    """Per top-level section: entries added, removed and changed, a few names each."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else ["content"]

    def some(keys: list[str]) -> str:
        return ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")

    parts = []
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section), new.get(section)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            added = sorted(set(after) - set(before))
            removed = sorted(set(before) - set(after))
            changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
            detail = [
                f"{sign}{len(keys)} ({some(keys)})"
                for sign, keys in (("+", added), ("-", removed), ("~", changed))
                if keys
            ]
            parts.append(f"{section} {' '.join(detail)}")
        else:
            parts.append(f"{section} changed")
    return parts


def check(out: Path, files: dict[str, str]) -> list[str]:
    """One line per file that differs between DIR and `files`; empty when DIR is current."""
    existing = _existing(out, files)
    lines = []
    for relative in sorted(set(files) | set(existing)):
        new, old = files.get(relative), existing.get(relative)
        if new == old:
            continue
        if old is None:
            lines.append(f"added    {relative}")
        elif new is None:
            lines.append(f"removed  {relative}")
        elif relative.endswith(".json"):
            try:
                detail = "; ".join(_section_changes(json.loads(old), json.loads(new))) or "formatting"
            except json.JSONDecodeError:
                detail = "not valid JSON in DIR"
            lines.append(f"changed  {relative}: {detail}")
        else:
            diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
            plus = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
            minus = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
            lines.append(f"changed  {relative}: +{plus} -{minus} lines")
    return lines


# -- write -----------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically (temp file + rename) once all contents are ready, and
    remove data files the export no longer produces (data/ belongs to the export)."""
    written = []
    try:
        for relative, content in sorted(files.items()):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide the skill from other readers
            os.replace(tmp, target)
            written.append(target)
        for stale in sorted(set(_existing(out, files)) - set(files)):
            (out / stale).unlink()
    except OSError as exc:
        raise KgError(f"cannot write the skill into {out}: {exc.strerror or exc} ({exc.filename or out})") from None
    return written
