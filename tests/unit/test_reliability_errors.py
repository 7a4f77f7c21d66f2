"""Driver failures become one-line KgErrors with distinct exit codes (issue 7, point 2);
the real server cases are in tests/integration/test_reliability_faults.py."""

import pytest
from neo4j import exceptions as neo4j_errors

from kg.config import Neo4jSettings
from kg.errors import ConnectionLost, DatabaseBusy, DatabaseError, DatabaseReadOnly, DatabaseUnavailable
from kg.store.neo4j_store import translate_errors

SETTINGS = Neo4jSettings("bolt://db.example:7687", "neo4j", "pw", None)


def server_error(code: str, message: str = "refused") -> Exception:
    return neo4j_errors.Neo4jError._hydrate_neo4j(code=code, message=message)


def translated(exc: Exception, writing: bool = False):
    with pytest.raises(Exception) as caught:
        with translate_errors(SETTINGS, writing=writing):
            raise exc
    return caught.value


@pytest.mark.parametrize(
    "code",
    [
        "Neo.ClientError.General.WriteOnReadOnlyAccessDatabase",
        "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
        "Neo.ClientError.Security.Forbidden",
        "Neo.ClientError.Statement.AccessMode",
    ],
)
def test_read_only_refusals_are_exit_7(code):
    error = translated(server_error(code))
    assert isinstance(error, DatabaseReadOnly) and error.exit_code == 7
    assert "nothing was written" in str(error)


def test_transient_error_after_retries_is_exit_9_and_says_rolled_back():
    error = translated(server_error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock"), writing=True)
    assert isinstance(error, DatabaseBusy) and error.exit_code == 9
    assert "DeadlockDetected" in str(error) and "rolled back" in str(error)


def test_lost_connection_is_exit_8_during_a_load_and_3_otherwise():
    lost = neo4j_errors.SessionExpired("connection closed")
    during = translated(lost, writing=True)
    assert isinstance(during, ConnectionLost) and during.exit_code == 8 and "rolled back" in str(during)
    before = translated(neo4j_errors.ServiceUnavailable("Connection refused"))
    assert type(before) is DatabaseUnavailable and before.exit_code == 3


def test_lost_connection_while_committing_says_the_outcome_is_unknown():
    error = translated(neo4j_errors.IncompleteCommit("commit"), writing=True)
    assert isinstance(error, ConnectionLost) and "may or may not" in str(error) and "\n" not in str(error)


def test_other_refusals_stay_exit_6():
    error = translated(server_error("Neo.ClientError.Statement.SyntaxError", "bad\nsecond line"))
    assert type(error) is DatabaseError and error.exit_code == 6 and "\n" not in str(error)


def test_exit_codes_are_distinct():
    from kg import errors

    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.KgError) and cls not in (errors.KgError, errors.NotFound)
    }
    assert codes == {2, 3, 4, 5, 6, 7, 8, 9, 11}  # 10: a `kg diff --fail-on` policy matched (not an error)


def test_transaction_memory_refused_at_commit_says_what_to_raise_not_try_again_later():
    # at 50,000 objects the server refused the single transaction's memory when it
    # committed (inside the work kg stops at once: _TooBig): no "try again later"
    error = translated(
        server_error(
            "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            "The allocation of an extra 2.0 MiB would use more than the limit 2.8 GiB. "
            "dbms.memory.transaction.total.max threshold reached",
        ),
        writing=True,
    )
    assert type(error) is DatabaseError and error.exit_code == 6
    assert "rolled back" in str(error) and "dbms.memory.transaction.total.max" in str(error)
    assert "--cluster" in str(error) and "Try again later" not in str(error)
