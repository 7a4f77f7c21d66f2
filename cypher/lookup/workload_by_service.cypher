// Workloads whose service name (app label) is NAME: celery-beat finds the Deployment beat.
MATCH (n:Workload)
WHERE n.service = $name
  AND ($namespace IS NULL OR n.namespace = $namespace)
  AND ($cluster IS NULL OR n.cluster = $cluster)
  AND ($repo IS NULL OR n.repo = $repo)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
