// Nodes of one label that a NAME given to `kg ask` may mean, by name (an index per
// label). {label} is a schema label filled in by kg, never user input.
MATCH (n:{label})
WHERE n.name = $name
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace,
       n.cluster AS cluster, n.repo AS repo, n.missing AS missing
