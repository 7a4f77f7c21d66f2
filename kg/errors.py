"""Errors a user can act on. Each carries the exit code the CLI returns, and a message
that fits on one line: no tracebacks for expected failures.

Exit codes (also in kg/cli.py's docstring and README): 1 nothing usable / not found,
2 usage, 3 Neo4j unreachable, 4 credentials refused, 5 unknown database, 6 other
database refusal, 7 database read-only, 8 connection lost during a load (rolled back),
9 transient database error that outlasted the retries (rolled back)."""

from __future__ import annotations


class KgError(Exception):
    exit_code = 1


class UsageError(KgError):
    exit_code = 2


class DatabaseUnavailable(KgError):
    """Neo4j cannot be reached (down, wrong address, network)."""

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
    """The asked-for target is unknown or ambiguous."""

    exit_code = 1
