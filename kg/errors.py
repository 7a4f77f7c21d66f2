"""Errors a user can act on: the one hierarchy under KgError. Each carries the exit
code the CLI returns, and a message that fits on one line: no tracebacks for expected
failures. Anything else is a bug and shows as one.

The exit-code table (`exit_codes()`) is the single source: README's table is generated
from it (`python -m kg.errors`; tests/unit/test_cli_errors.py keeps them in step).
The loaders raise their own errors (they know nothing of kg): `loader_errors()` turns
them into a KgError (exit code 1) where the CLI calls them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class KgError(Exception):
    """Nothing usable: nothing loaded yet, a repository that does not render (no cluster
    found, kustomize missing or failing), an export refused or stale (`--check`)."""

    exit_code = 1


class UsageError(KgError):
    """The command line is wrong (unknown option value, missing NAME)."""

    exit_code = 2


class DatabaseUnavailable(KgError):
    """Neo4j cannot be reached (down, wrong address, network), or the graph file cannot be opened."""

    exit_code = 3


class DatabaseAuthError(KgError):
    """Neo4j refused the credentials."""

    exit_code = 4


class DatabaseNotFound(KgError):
    """The configured database does not exist on the server."""

    exit_code = 5


class DatabaseError(KgError):
    """Any other refusal by the database (permissions, query errors)."""

    exit_code = 6


class DatabaseReadOnly(DatabaseError):
    """The database (or the user) may not write: nothing was written."""

    exit_code = 7


class ConnectionLost(DatabaseUnavailable):
    """The server went away during a load: the transaction was rolled back."""

    exit_code = 8


class DatabaseBusy(DatabaseError):
    """A transient error (lock timeout, deadlock, leader switch) persisted past the
    retries: the transaction was rolled back; trying again later should work."""

    exit_code = 9


class NotFound(KgError):
    """The asked-for target is unknown (close names suggested) or ambiguous."""

    exit_code = 1

    def __init__(
        self, message: str, *, suggestions: list[str] | None = None, candidates: list[dict[str, Any]] | None = None
    ) -> None:
        # what the message says, for programs (`kg mcp` hands them to the assistant)
        super().__init__(message)
        self.suggestions = suggestions or []  # close names, when nothing matched
        self.candidates = candidates or []  # the objects an ambiguous name may mean


class DiffFailed(KgError):
    """`kg diff` could not render a side (a revision or folder that does not load): no verdict on the change."""

    exit_code = 11


# Not error classes: Ctrl-C (KeyboardInterrupt) exits with this code; `kg diff` exits 1
# when the sides differ (as diff(1) does) and POLICY_FAILED when a --fail-on policy matched
INTERRUPTED = 130
DIFF_CHANGES = 1
POLICY_FAILED = 10


@contextlib.contextmanager
def loader_errors() -> Iterator[None]:
    """The loaders' own failures (kg.loaders.LoadError, kustomize.KustomizeNotFound) as
    KgError; anything else they raise is a bug and passes through."""
    from kg.loaders import LoadError
    from kg.loaders.kustomize import KustomizeNotFound

    try:
        yield
    except (LoadError, KustomizeNotFound) as exc:
        raise KgError(str(exc)) from exc


# Every error, in the order README lists their meanings
ERRORS: tuple[type[KgError], ...] = (
    KgError, NotFound, UsageError, DatabaseUnavailable, DatabaseAuthError,
    DatabaseNotFound, DatabaseError, DatabaseReadOnly, ConnectionLost, DatabaseBusy, DiffFailed,
)  # fmt: skip


def exit_codes() -> list[tuple[int, str]]:
    """(code, meaning) of every exit code, from the errors' docstrings, 0 first."""
    meanings: dict[int, list[str]] = {
        0: ["Success: answered, loaded, exported, or current (`kg export --check`); `kg diff`: no change"]
    }
    for cls in ERRORS:
        meanings.setdefault(cls.exit_code, []).append(" ".join((cls.__doc__ or cls.__name__).split()).rstrip("."))
    meanings[DIFF_CHANGES].append("`kg diff`: the sides differ (not an error)")
    meanings[POLICY_FAILED] = ["`kg diff --fail-on`: a change a policy forbids (removed objects, secret lineage, ...)"]
    meanings[INTERRUPTED] = ["Interrupted (Ctrl-C): a load in progress was rolled back"]

    def joined(parts: list[str]) -> str:
        return "; ".join(p if i == 0 else p[:1].lower() + p[1:] for i, p in enumerate(parts)) + "."

    return [(code, joined(meanings[code])) for code in sorted(meanings)]


def exit_code_table() -> str:
    """The Markdown table README shows between its exit-code markers."""
    lines = ["| exit code | meaning |", "|---|---|"]
    lines += [f"| {code} | {meaning} |" for code, meaning in exit_codes()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(exit_code_table(), end="")
