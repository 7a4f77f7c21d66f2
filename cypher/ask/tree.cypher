// question: tree
// summary: What a Kustomization applies, as a tree (an offline `flux tree kustomization`); for a HelmRelease, its chart source and values.
// targets: Kustomization, HelmRelease
// single: true
// shape: tree
// empty: it applies nothing (not rendered, or an empty path)
// param name: a Flux Kustomization or HelmRelease; namespace/name narrows it
// param cluster: only this cluster (optional)
// columns: cluster, depth, kind, name, namespace, source_file, status, id, parent_id
// Rows in depth-first order, names indented by depth; nested Kustomizations are expanded
// (up to 10 levels); status shows suspend and render errors.
MATCH (t)
WHERE t.id IN $ids
CALL {
  WITH t
  MATCH p = (t)-[:MANAGES*0..9]->(parent)-[:MANAGES]->(x)
  RETURN x, parent, length(p) AS depth
  UNION
  WITH t
  MATCH (t:HelmRelease)-[:FROM_SOURCE|VALUES_FROM]->(x)
  RETURN x, t AS parent, 1 AS depth
}
WITH t, x, parent, min(depth) AS depth
RETURN t.cluster AS cluster,
       depth,
       x.kind AS kind,
       x.name AS name,
       x.namespace AS namespace,
       x.source_file AS source_file,
       CASE
         WHEN x.missing THEN 'missing: referenced, not defined in the repo'
         WHEN x.suspend THEN 'suspended'
         WHEN x.render_error IS NOT NULL THEN 'not rendered: ' + x.render_error
         ELSE ''
       END AS status,
       x.id AS id,
       parent.id AS parent_id
ORDER BY depth, kind, name
