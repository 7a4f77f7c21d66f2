// export: configmaps
// summary: One row per ConfigMap: how it is made (generated_by, generator, source file),
// the Kustomization that applies it, the workloads that read it (service names), the
// Kustomizations that substitute from it (postBuild.substituteFrom) and the HelmReleases
// that take values from it, and the HelmRelease values that name it (a chart told to
// read an existing ConfigMap: `alloy.configMap.name: alloy-config`), as `release (path)`.
// Lists are unordered (the exporter sorts them).
// columns: id, cluster, name, namespace, generated_by, generator, generated_name, source_file, kustomization, users, substituted_by, values_for, named_in
MATCH (c:ConfigMap)
WHERE c.repo = $repo
  AND (c.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(c.missing, false) = false
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(c)
WITH c, min(applier.name) AS kustomization
OPTIONAL MATCH (w:Workload)-[:USES]->(c)
WITH c, kustomization, collect(DISTINCT coalesce(w.service, w.name)) AS users
OPTIONAL MATCH (k:Kustomization)-[:SUBSTITUTES_FROM]->(c)
WITH c, kustomization, users, collect(DISTINCT k.name) AS substituted_by
OPTIONAL MATCH (h:HelmRelease)-[:VALUES_FROM]->(c)
WITH c, kustomization, users, substituted_by, collect(DISTINCT h.name) AS values_for
OPTIONAL MATCH (n:HelmRelease)-[:HAS_SETTING]->(st:Setting)
WHERE st.value = c.name AND st.via = 'values' AND n.cluster = c.cluster
  AND coalesce(n.deploys_to, n.namespace) = c.namespace
RETURN c.id AS id, c.cluster AS cluster, c.name AS name, c.namespace AS namespace,
       c.generated_by AS generated_by, c.generator AS generator, c.generated_name AS generated_name,
       c.source_file AS source_file, kustomization, users, substituted_by, values_for,
       collect(DISTINCT CASE WHEN n IS NULL THEN NULL ELSE n.name + ' (' + st.path + ')' END) AS named_in
ORDER BY name, cluster, namespace
