// export: namespaces
// summary: Each namespace with what runs in it (workload service names, HelmReleases)
// and the Kustomizations that apply objects there; feeds SKILL.md's namespace table.
// Lists are unordered (the exporter sorts them).
// columns: cluster, name, declared, workloads, helm_releases, kustomizations
MATCH (n:Namespace)
WHERE n.repo = $repo
  AND (n.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (w:Workload)-[:IN_NAMESPACE]->(n)
WITH n, collect(DISTINCT coalesce(w.service, w.name)) AS workloads
OPTIONAL MATCH (h:HelmRelease)
WHERE h.cluster = n.cluster AND h.repo = n.repo AND h.deploys_to = n.name
WITH n, workloads, collect(DISTINCT h.name) AS helm_releases
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(x)-[:IN_NAMESPACE]->(n)
WHERE coalesce(x.kind, '') <> 'Namespace'  // no label tests in expressions (portability)
RETURN n.cluster AS cluster, n.name AS name, coalesce(n.declared, false) AS declared,
       workloads, helm_releases, collect(DISTINCT k.name) AS kustomizations
ORDER BY name, cluster
