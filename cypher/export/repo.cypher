// export: repo
// summary: The loaded repository's metadata (for the export's metadata block).
// `clusters` is unordered (the exporter sorts it).
// columns: name, path, git_revision, git_commit_time, loaded_at, git_subdir, git_remote, clusters
MATCH (r:Repo {name: $repo})
OPTIONAL MATCH (r)-[:HAS_CLUSTER]->(c:Cluster)
RETURN r.name AS name, r.path AS path, r.git_revision AS git_revision,
       r.git_commit_time AS git_commit_time, r.loaded_at AS loaded_at, r.git_subdir AS git_subdir,
       r.git_remote AS git_remote, collect(c.name) AS clusters
