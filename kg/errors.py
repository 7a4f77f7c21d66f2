"""Errors a user can act on. Each carries the exit code the CLI returns, and a message
that fits on one line: no tracebacks for expected failures."""

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
    """Any other refusal by the database (permissions, read-only, query errors)."""

    exit_code = 6


class NotFound(KgError):
    """The asked-for target is unknown or ambiguous."""

    exit_code = 1
