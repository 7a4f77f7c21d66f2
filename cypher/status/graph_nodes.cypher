// The objects of a cluster that may be live (kg status load matches the snapshot to
// them by kind, namespace and name); placeholders (missing) are never live objects.
MATCH (n)
WHERE n.cluster = $cluster AND (n.repo = $repo OR $repo IS NULL) AND n.kind IN $kinds
  AND coalesce(n.missing, false) = false
OPTIONAL MATCH (r:Repo)
WHERE r.id = n.repo
RETURN n.repo AS repo, n.id AS id, n.kind AS kind, n.namespace AS namespace, n.name AS name, r.git_revision AS repo_revision
