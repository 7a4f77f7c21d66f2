"""Shared fixtures.

Neo4j for integration tests: NEO4J_URI (+ NEO4J_USER/NEO4J_PASSWORD) when set;
otherwise testcontainers' Neo4j when a Docker engine answers; otherwise the
integration tests are skipped with the reason — unless KG_REQUIRE_NEO4J=1 (CI),
where a missing Neo4j is a failure.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO = PROJECT_ROOT / "examples" / "platform"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
CORPORA = Path(os.environ.get("KG_CORPORA", PROJECT_ROOT.parent / "shared" / "corpora"))


@pytest.fixture(scope="session", autouse=True)
def charts_offline(tmp_path_factory):
    """Loads in tests render charts offline from an empty cache of their own: the same
    answers with or without a network (the example's and the corpora's charts live on
    the internet; one warning per chart source says they were not rendered). The render
    cache is the session's own too. The Helm
    tests serve real chart repositories on loopback and turn this off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_OFFLINE", "1")
        patch.setenv("KG_CHART_CACHE", str(tmp_path_factory.mktemp("chart-cache")))
        # kustomize builds kept for this session only, never in the working folder's .kg/
        patch.setenv("KG_RENDER_CACHE", str(tmp_path_factory.mktemp("render-cache")))
        yield


@pytest.fixture(scope="session")
def example_repo() -> Path:
    return EXAMPLE_REPO


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"corpora not found at {CORPORA} (set KG_CORPORA to the shared/corpora folder)")
    return CORPORA


@pytest.fixture(scope="session")
def example_load():
    """examples/platform rendered once (no database)."""
    from kg.loaders import load_repo

    return load_repo(EXAMPLE_REPO)


@pytest.fixture(scope="session")
def eso_vault_load():
    """tests/fixtures/eso-vault rendered once (no database): ESO, SPC, Vault in-cluster."""
    from kg.loaders import load_repo

    return load_repo(FIXTURES / "eso-vault")


def _docker_answers() -> bool:
    try:
        import docker  # installed with testcontainers

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _unavailable(reason: str):
    if os.environ.get("KG_REQUIRE_NEO4J") == "1":
        pytest.fail(f"KG_REQUIRE_NEO4J=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_settings():
    from kg.config import Neo4jSettings

    if os.environ.get("NEO4J_URI"):
        settings = Neo4jSettings.resolve()
        from kg.errors import KgError
        from kg.store import Neo4jStore

        try:
            with Neo4jStore(settings) as store:
                store.verify()
        except KgError as exc:
            _unavailable(f"NEO4J_URI is set but Neo4j does not answer: {exc}")
        yield settings
        return
    if not _docker_answers():
        _unavailable(
            "no Neo4j: set NEO4J_URI (e.g. after `scripts/neo4j-local start`) or run a Docker engine for testcontainers"
        )
    from testcontainers.neo4j import Neo4jContainer

    with Neo4jContainer("neo4j:5.26-community", password="kg-password") as container:
        # the Browser test finds the container's Browser on its mapped HTTP port
        http_port = container.get_exposed_port(7474)
        os.environ.setdefault("KG_BROWSER_URL", f"http://{container.get_container_host_ip()}:{http_port}/browser/")
        yield Neo4jSettings(uri=container.get_connection_url(), user="neo4j", password="kg-password", database=None)


@pytest.fixture
def cli_env(neo4j_settings, monkeypatch):
    """Environment for running `kg` against the test Neo4j."""
    env = {
        "NEO4J_URI": neo4j_settings.uri,
        "NEO4J_USER": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NEO4J_DATABASE", raising=False)
    return env


@pytest.fixture
def store(neo4j_settings):
    from kg.store import Neo4jStore

    with Neo4jStore(neo4j_settings) as s:
        yield s


@pytest.fixture
def repo_name(store):
    """A repository name unique to the test; everything loaded under it is removed after."""
    name = f"kgtest-{uuid.uuid4().hex[:8]}"
    yield name
    store.delete_repo(name)
