// Nodes a NAME given to `kg ask` may mean: by name, or by a workload's service name
// (its app label: celery-beat for the Deployment beat). The caller filters by kind.
MATCH (n)
WHERE (n.name = $name OR n.service = $name)
  AND ($namespace IS NULL OR n.namespace = $namespace)
  AND ($cluster IS NULL OR n.cluster = $cluster)
  AND ($repo IS NULL OR n.repo = $repo)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
ORDER BY id
