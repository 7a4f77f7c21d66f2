// Node count per label (Neo4j only: labels() is not in the portable subset).
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
