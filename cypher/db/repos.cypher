// Repositories loaded into this database, with their last load.
MATCH (r:Repo)
OPTIONAL MATCH (r)-[:HAS_CLUSTER]->(c:Cluster)
RETURN r.name AS repo, r.path AS path, r.loaded_at AS loaded_at, collect(c.name) AS clusters
ORDER BY repo
