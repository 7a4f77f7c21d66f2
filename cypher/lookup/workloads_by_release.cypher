// Workloads the chart of a HelmRelease named NAME renders: `kg ask secrets bazarr`
// answers through the Deployment the release makes (MANAGES from the release).
MATCH (h:HelmRelease)-[:MANAGES]->(n:Workload)
WHERE h.name = $name
  AND (h.namespace = $namespace OR $namespace IS NULL)
  AND (h.cluster = $cluster OR $cluster IS NULL)
  AND (h.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
