"""Graph stores. Neo4j is the reference engine."""

from .neo4j_store import Neo4jStore

__all__ = ["Neo4jStore"]
