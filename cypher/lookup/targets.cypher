// Nodes a NAME given to `kg ask` may mean: by name, or by a workload's service name
// (its app label: celery-beat for the Deployment beat). The caller filters by kind.
MATCH (n)
WHERE (n.name = $name OR n.service = $name)
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
ORDER BY id
