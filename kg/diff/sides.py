"""A side of `kg diff`: a folder as it is, or a git revision of the repository exported
into a temporary folder (`git archive`: the user's checkout, index and worktree list stay
as they were)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KgError, UsageError

GIT_TIMEOUT = 120


@dataclass(frozen=True)
class Side:
    spec: str  # as given: a revision, a folder, or "" for the work tree
    label: str  # for people: "origin/main (3f2a1c9)", "the work tree", a folder
    path: Path  # the folder to load
    commit: str = ""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise KgError("git is not installed: a revision cannot be read (give two folders instead)") from None
    except subprocess.TimeoutExpired:
        raise KgError(f"git {' '.join(args[:2])} in {repo} took longer than {GIT_TIMEOUT} s") from None


def _toplevel(repo: Path) -> tuple[Path, str] | None:
    """(the git work tree's root, the repository folder's path inside it), or None."""
    proc = _git(repo, "rev-parse", "--show-toplevel", "--show-prefix")
    if proc.returncode != 0:
        return None
    lines = proc.stdout.decode().splitlines()
    return Path(lines[0]), (lines[1] if len(lines) > 1 else "").strip("/")


@contextlib.contextmanager
def materialize(spec: str | None, repo: Path) -> Iterator[Side]:
    """The folder a side loads from. `spec`: None for the work tree (the repository folder
    as it is, uncommitted changes included), an existing folder, or a revision of the git
    repository holding `repo` (the same sub-folder of it)."""
    if spec is None:
        yield Side("", f"the work tree ({repo})", repo)
        return
    as_path = Path(spec)
    if as_path.is_dir():
        yield Side(spec, str(as_path), as_path)
        return
    top = _toplevel(repo)
    if top is None:
        raise UsageError(f"{spec!r} is not a folder, and {repo} is not in a git repository to read it as a revision")
    root, prefix = top
    if spec.startswith("-"):
        raise UsageError(f"{spec!r} is not a revision of the git repository at {root}")
    proc = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}")
    if proc.returncode != 0:
        raise UsageError(f"{spec!r} is neither a folder nor a revision of the git repository at {root}")
    commit = proc.stdout.decode().strip()
    tmp = Path(tempfile.mkdtemp(prefix="kg-diff-"))
    try:
        archive = tmp / "side.tar"
        args = ["archive", "--format=tar", f"--output={archive}", commit]
        if prefix:
            args.append(prefix)
        proc = _git(root, *args)
        if proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip().splitlines()
            raise KgError(
                f"revision {spec} ({commit[:12]}) could not be read"
                + (f": {message[-1]}" if message else "")
                + (f" (has it the folder {prefix}?)" if prefix else "")
            )
        tree = tmp / "tree"
        tree.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        archive.unlink()
        yield Side(spec, f"{spec} ({commit[:12]})", tree / prefix if prefix else tree, commit)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
