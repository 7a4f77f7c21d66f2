// Repositories loaded into this database, with their last load: when, from which
// revision and commit time, and their clusters (`kg mcp`, tool kg_overview).
// order: repo
// sets: clusters
MATCH (r:Repo)
OPTIONAL MATCH (r)-[:HAS_CLUSTER]->(c:Cluster)
RETURN r.name AS repo, r.path AS path, r.loaded_at AS loaded_at, r.git_revision AS git_revision,
       r.git_commit_time AS git_commit_time, collect(c.name) AS clusters
