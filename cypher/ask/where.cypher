// question: where
// summary: Where a service runs: cluster, namespace, workload, the Flux Kustomization that applies it, its path and the source file.
// targets: Workload, HelmRelease
// param name: workload, service (app label) or HelmRelease name; kind/name or namespace/name narrow it
// param cluster: only this cluster (optional)
// columns: cluster, namespace, kind, workload, service, kustomization, path, source_file, evidence
// evidence: the chain of Flux objects from the cluster root to the workload (the shortest)
// order: cluster, namespace, workload
// A HelmRelease whose chart was rendered answers through the workloads it makes (they
// are targets too: cypher/lookup/workloads.cypher), the release in the chain;
// the kustomization column names the one applying the workload or its release.
// One part per label of the target (kg runs only those of the targets' labels): the
// unlabelled form read and walked every table, about 0.1 s of a short `kg ask where`.
MATCH (w:Workload)
WHERE w.id IN $ids
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(w)
OPTIONAL MATCH (kr:Kustomization)-[:MANAGES]->(:HelmRelease)-[:MANAGES]->(w)
OPTIONAL MATCH p = (:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*1..20]->(w)
WITH w, k, kr, collect(p) AS evidence
RETURN w.cluster AS cluster,
       w.namespace AS namespace,
       w.kind AS kind,
       w.name AS workload,
       coalesce(w.service, w.name) AS service,
       coalesce(k.name, kr.name) AS kustomization,
       coalesce(k.path, kr.path) AS path,
       w.source_file AS source_file,
       evidence
UNION ALL
// a HelmRelease has no service name
MATCH (w:HelmRelease)
WHERE w.id IN $ids
  AND NOT EXISTS { MATCH (w)-[:MANAGES]->(:Workload) }
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(w)
OPTIONAL MATCH (kr:Kustomization)-[:MANAGES]->(:HelmRelease)-[:MANAGES]->(w)
OPTIONAL MATCH p = (:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*1..20]->(w)
WITH w, k, kr, collect(p) AS evidence
RETURN w.cluster AS cluster,
       w.namespace AS namespace,
       w.kind AS kind,
       w.name AS workload,
       w.name AS service,
       coalesce(k.name, kr.name) AS kustomization,
       coalesce(k.path, kr.path) AS path,
       w.source_file AS source_file,
       evidence
