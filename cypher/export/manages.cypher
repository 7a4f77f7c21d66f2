// export: manages
// summary: What each Flux Kustomization applies: one row per (Kustomization, object);
// `service` is a workload's service name (app label), else empty.
// columns: kustomization_id, kind, name, namespace, service
MATCH (k:Kustomization)-[:MANAGES]->(x)
WHERE k.repo = $repo
  AND (k.cluster IN $clusters OR $clusters IS NULL)
RETURN k.id AS kustomization_id, x.kind AS kind, x.name AS name, x.namespace AS namespace, x.service AS service
ORDER BY kustomization_id, kind, namespace, name
