// Nodes of one label that a NAME given to `kg ask` may mean, by name (an index per
// label). {label} is a schema label filled in by kg, never user input.
MATCH (n:{label})
WHERE n.name = $name
  AND ($namespace IS NULL OR n.namespace = $namespace)
  AND ($cluster IS NULL OR n.cluster = $cluster)
  AND ($repo IS NULL OR n.repo = $repo)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
