// The delivery edges of a cluster's objects: what waits on what (kg status load
// explains a failing object by a failing dependency, source, child or manager).
MATCH (a)-[:DEPENDS_ON]->(b)
WHERE a.cluster = $cluster AND (a.repo = $repo OR $repo IS NULL)
RETURN a.id AS start_id, 'DEPENDS_ON' AS type, b.id AS end_id
UNION ALL
MATCH (a)-[:FROM_SOURCE]->(b)
WHERE a.cluster = $cluster AND (a.repo = $repo OR $repo IS NULL)
RETURN a.id AS start_id, 'FROM_SOURCE' AS type, b.id AS end_id
UNION ALL
MATCH (a)-[:MANAGES]->(b)
WHERE a.cluster = $cluster AND (a.repo = $repo OR $repo IS NULL)
RETURN a.id AS start_id, 'MANAGES' AS type, b.id AS end_id
