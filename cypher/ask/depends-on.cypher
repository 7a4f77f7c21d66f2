// question: depends-on
// summary: Upstream: what NAME waits for before Flux reconciles it, the dependsOn chain transitively, with depth.
// targets: Kustomization, HelmRelease, Workload
// empty: it depends on nothing
// param name: a Kustomization or HelmRelease (or a workload: the chain of the Kustomization that applies it)
// param cluster: only this cluster (optional)
// columns: cluster, depth, kind, name, namespace, via, status, evidence
// evidence: the shortest dependsOn path from NAME to the dependency
// order: cluster, depth, kind, name
// depth 0 is the Kustomization that applies a workload; each dependency is listed once,
// at its smallest depth; status flags suspended, unrendered or undefined dependencies.
// Parts (a union, see docs/engines.md), each listing a dependency once per target. Both
// ends of every dependsOn path are labelled (one part per pair of labels): the embedded
// engine gives each node of a path every property of the labels its ends may have, all
// of them for an unlabelled end, and converting those paths to Python cost ~7 ms each
// (2.2 s for app-60's chain at 20,000 objects).
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH p = (t)-[:DEPENDS_ON*1..20]->(d:Kustomization)
WITH t, d, min(length(p)) AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH p = (t)-[:DEPENDS_ON*1..20]->(d:HelmRelease)
WITH t, d, min(length(p)) AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)-[:DEPENDS_ON*1..20]->(d:Kustomization)
WITH t, d, min(length(p)) AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)-[:DEPENDS_ON*1..20]->(d:HelmRelease)
WITH t, d, min(length(p)) AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(d:Kustomization)
WITH t, d, collect(p) AS evidence
RETURN t.cluster AS cluster,
       0 AS depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'applied by' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:Workload)
WHERE t.id IN $ids
// its Kustomizations first: from a bound start the embedded engine walks dependsOn from
// them, not from every Kustomization (10x at 20,000 objects)
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:Kustomization)
// a Kustomization that also applies the workload is listed above, at depth 0
WHERE NOT EXISTS { MATCH (t)<-[:MANAGES]-(d) }
WITH t, d, min(length(p)) - 1 AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn of its Kustomization' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
UNION ALL
MATCH (t:Workload)
WHERE t.id IN $ids
// its Kustomizations first: from a bound start the embedded engine walks dependsOn from
// them, not from every Kustomization (10x at 20,000 objects)
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:HelmRelease)
// a Kustomization that also applies the workload is listed above, at depth 0
WHERE NOT EXISTS { MATCH (t)<-[:MANAGES]-(d) }
WITH t, d, min(length(p)) - 1 AS depth, collect(p) AS evidence
RETURN t.cluster AS cluster,
       depth,
       d.kind AS kind,
       d.name AS name,
       d.namespace AS namespace,
       'dependsOn of its Kustomization' AS via,
       CASE
         WHEN d.missing THEN 'missing: not defined in the repo'
         WHEN d.suspend THEN 'suspended'
         WHEN d.render_error IS NOT NULL THEN 'not rendered: ' + d.render_error
         ELSE 'ok'
       END AS status,
       evidence
