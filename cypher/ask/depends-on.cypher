// question: depends-on
// summary: Upstream: what NAME waits for before Flux reconciles it, the dependsOn chain transitively, with depth.
// targets: Kustomization, HelmRelease, Workload
// empty: it depends on nothing
// param name: a Kustomization or HelmRelease (or a workload: the chain of the Kustomization that applies it)
// param cluster: only this cluster (optional)
// columns: cluster, depth, kind, name, namespace, via, status, evidence
// evidence: the dependsOn path from NAME to the dependency
// depth 0 is the Kustomization that applies a workload; each dependency is listed once,
// at its smallest depth; status flags suspended, unrendered or undefined dependencies.
MATCH (t)
WHERE t.id IN $ids
CALL {
  WITH t
  MATCH p = (t)-[:DEPENDS_ON*1..20]->(d)
  RETURN d, p, length(p) AS depth, 'dependsOn' AS via
  UNION
  WITH t
  MATCH p = (t)<-[:MANAGES]-(d:Kustomization)
  WHERE t:Workload
  RETURN d, p, 0 AS depth, 'applied by' AS via
  UNION
  WITH t
  MATCH p = (t)<-[:MANAGES]-(:Kustomization)-[:DEPENDS_ON*1..20]->(d)
  WHERE t:Workload
  RETURN d, p, length(p) - 1 AS depth, 'dependsOn of its Kustomization' AS via
}
WITH t, d, depth, via, p
ORDER BY depth, length(p)
WITH t, d, head(collect(depth)) AS depth, head(collect(via)) AS via, head(collect(p)) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
ORDER BY cluster, depth, kind, name
