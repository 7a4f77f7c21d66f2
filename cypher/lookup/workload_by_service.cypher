// Workloads whose service name (app label) is NAME: celery-beat finds the Deployment beat.
MATCH (n:Workload)
WHERE n.service = $name
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
