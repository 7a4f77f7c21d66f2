// question: problems
// summary: What is wrong in the loaded repo: dangling references, dependency cycles, unresolved variables, Kustomizations that could not be rendered, SecretProviderClasses nothing mounts, suspended Flux objects.
// empty: no problem found
// param cluster: only this cluster (optional)
// columns: cluster, severity, problem, kind, name, namespace, detail, source_file, evidence
// evidence: the path that shows the problem
// severity: error (Flux would fail or the workload would not start), warning (likely a
// mistake), info (worth knowing while debugging). A dangling reference is to an object
// no rendered Kustomization defines: it may exist in the cluster from elsewhere.
MATCH (c:Cluster)
WHERE ($cluster IS NULL OR c.name = $cluster) AND ($repo IS NULL OR c.repo = $repo)
CALL {
  WITH c
  MATCH (m:Kustomization) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:DEPENDS_ON]->(m)
  RETURN 'error' AS severity, 'dangling dependsOn' AS problem, x, m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' AS detail, p
  UNION
  WITH c
  MATCH (m:HelmRelease) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:DEPENDS_ON]->(m)
  RETURN 'error' AS severity, 'dangling dependsOn' AS problem, x, m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' AS detail, p
  UNION
  WITH c
  MATCH (m:Source) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:FROM_SOURCE]->(m)
  RETURN 'error' AS severity, 'dangling sourceRef' AS problem, x, m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' AS detail, p
  UNION
  WITH c
  MATCH (m:SecretProviderClass) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:MOUNTS]->(m)
  RETURN 'error' AS severity, 'dangling secretProviderClass' AS problem, x, 'SecretProviderClass ' + m.namespace + '/' + m.name + ' is not defined' AS detail, p
  UNION
  WITH c
  MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:USES]->(m)
  RETURN 'warning' AS severity, 'dangling ConfigMap reference' AS problem, x, 'ConfigMap ' + m.namespace + '/' + m.name + ' is not defined in the repo' AS detail, p
  UNION
  WITH c
  MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:USES]->(m)
  RETURN 'warning' AS severity, 'dangling Secret reference' AS problem, x, 'Secret ' + m.namespace + '/' + m.name + ' is not defined in the repo' AS detail, p
  UNION
  WITH c
  MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:VALUES_FROM]->(m)
  RETURN 'warning' AS severity, 'dangling valuesFrom' AS problem, x, 'ConfigMap ' + m.namespace + '/' + m.name + ' is not defined in the repo' AS detail, p
  UNION
  WITH c
  MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:VALUES_FROM]->(m)
  RETURN 'warning' AS severity, 'dangling valuesFrom' AS problem, x, 'Secret ' + m.namespace + '/' + m.name + ' is not defined in the repo' AS detail, p
  UNION
  WITH c
  MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[r:SUBSTITUTES_FROM]->(m)
  WHERE NOT coalesce(r.optional, false)
  RETURN 'error' AS severity, 'dangling substituteFrom' AS problem, x, 'ConfigMap ' + m.namespace + '/' + m.name + ' is not rendered in this cluster' AS detail, p
  UNION
  WITH c
  MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[r:SUBSTITUTES_FROM]->(m)
  WHERE NOT coalesce(r.optional, false)
  RETURN 'error' AS severity, 'dangling substituteFrom' AS problem, x, 'Secret ' + m.namespace + '/' + m.name + ' is not rendered in this cluster' AS detail, p
  UNION
  WITH c
  MATCH (m:SecretStore) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
  MATCH p = (x)-[:VIA]->(m)
  RETURN 'error' AS severity, 'dangling secretStoreRef' AS problem, x, m.kind + ' ' + m.name + ' is not defined' AS detail, p
  UNION
  WITH c
  MATCH (x:Kustomization) WHERE x.repo = c.repo AND x.cluster = c.name
  MATCH p = (x)-[:DEPENDS_ON*1..20]->(x)
  RETURN 'error' AS severity, 'dependency cycle' AS problem, x, 'dependsOn leads back to itself' AS detail, p
  UNION
  WITH c
  MATCH (x:HelmRelease) WHERE x.repo = c.repo AND x.cluster = c.name
  MATCH p = (x)-[:DEPENDS_ON*1..20]->(x)
  RETURN 'error' AS severity, 'dependency cycle' AS problem, x, 'dependsOn leads back to itself' AS detail, p
  UNION
  WITH c
  MATCH (x:Kustomization)
  WHERE x.cluster = c.name AND x.repo = c.repo AND x.render_error IS NOT NULL
  RETURN CASE WHEN x.render_error CONTAINS 'not built from this repository' THEN 'info' ELSE 'error' END AS severity,
         CASE WHEN x.render_error CONTAINS 'not built from this repository' THEN 'source outside this repository' ELSE 'not rendered' END AS problem,
         x, x.render_error AS detail, NULL AS p
  UNION
  WITH c
  MATCH (x:Kustomization)
  WHERE x.cluster = c.name AND x.repo = c.repo AND x.unresolved_vars IS NOT NULL
  UNWIND x.unresolved_vars AS variable
  RETURN 'warning' AS severity, 'unresolved variable' AS problem, x,
         '${' + variable + '} has no value: Flux substitutes an empty string' AS detail, NULL AS p
  UNION
  WITH c
  MATCH (x:SecretProviderClass)
  WHERE x.cluster = c.name AND x.repo = c.repo AND x.missing IS NULL AND NOT EXISTS { MATCH (x)<-[:MOUNTS]-() }
  RETURN 'warning' AS severity, 'SecretProviderClass nothing mounts' AS problem, x, 'no rendered workload mounts it (a Helm chart may): its objects are not fetched' AS detail, NULL AS p
  UNION
  WITH c
  MATCH (x:Kustomization)
  WHERE x.cluster = c.name AND x.repo = c.repo AND x.suspend
  RETURN 'info' AS severity, 'suspended' AS problem, x, 'Flux does not reconcile it' AS detail, NULL AS p
  UNION
  WITH c
  MATCH (x:HelmRelease)
  WHERE x.cluster = c.name AND x.repo = c.repo AND x.suspend
  RETURN 'info' AS severity, 'suspended' AS problem, x, 'Flux does not reconcile it' AS detail, NULL AS p
}
RETURN c.name AS cluster, severity, problem, x.kind AS kind, x.name AS name, x.namespace AS namespace, detail,
       x.source_file AS source_file, p AS evidence
ORDER BY cluster, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, problem, kind, name, namespace
