// Workloads a NAME given to `kg ask` may mean, in one statement (every statement costs a
// question's start a plan): by name; by service name (app label: celery-beat finds the
// Deployment beat); and what the chart of a HelmRelease named NAME renders (`kg ask
// secrets bazarr` answers through the Deployment the release makes).
MATCH (n:Workload)
WHERE n.name = $name
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
UNION
MATCH (n:Workload)
WHERE n.service = $name
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
UNION
MATCH (h:HelmRelease)-[:MANAGES]->(n:Workload)
WHERE h.name = $name
  AND (h.namespace = $namespace OR $namespace IS NULL)
  AND (h.cluster = $cluster OR $cluster IS NULL)
  AND (h.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
