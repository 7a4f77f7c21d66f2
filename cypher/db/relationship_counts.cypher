// Relationship count per type (Neo4j only: type() is not in the portable subset).
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
