"""Connection settings: CLI options override environment variables, which override
the defaults (those of scripts/neo4j-local and docker-compose.yml)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "kg-password"


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str
    user: str
    password: str
    database: str | None  # None: the server's default database

    @classmethod
    def resolve(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> "Neo4jSettings":
        env = os.environ
        return cls(
            uri=uri or env.get("NEO4J_URI") or DEFAULT_URI,
            user=user or env.get("NEO4J_USER") or DEFAULT_USER,
            password=password or env.get("NEO4J_PASSWORD") or DEFAULT_PASSWORD,
            database=database or env.get("NEO4J_DATABASE") or None,
        )

    def describe(self) -> str:
        return f"{self.uri}" + (f" (database {self.database})" if self.database else "")
