// Objects whose name (or, for a workload, service name) contains a fragment: what an
// assistant's "the payments thing" may be (`kg mcp`, tool kg_search). $fragment is
// lower-case; $kinds holds lower-case kinds, empty for any; exact names first, then
// names that start with the fragment. The caller asks for one row past its limit.
MATCH (n)
WHERE n.name IS NOT NULL
  AND (lower(n.name) CONTAINS $fragment OR lower(n.service) CONTAINS $fragment)
  AND (lower(n.kind) IN $kinds OR size($kinds) = 0)
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.repo = $repo OR $repo IS NULL)
RETURN n.kind AS kind, n.name AS name, n.namespace AS namespace, n.cluster AS cluster, n.repo AS repo,
       n.service AS service, n.missing AS missing,
       CASE WHEN lower(n.name) = $fragment THEN 0 WHEN lower(n.name) STARTS WITH $fragment THEN 1 ELSE 2 END AS rank
ORDER BY rank, name, kind, namespace, cluster, repo
LIMIT $limit
