// export: services
// summary: One row per long-running workload (Deployment, StatefulSet, DaemonSet) with
// where it runs and the Flux Kustomization that applies it; feeds data/services.json.
// columns: cluster, service, namespace, deployment, kind, kustomization, flux_path, description, source_file, images
MATCH (w:Workload)
WHERE w.repo = $repo
  AND ($clusters IS NULL OR w.cluster IN $clusters)
  AND w.kind IN ['Deployment', 'StatefulSet', 'DaemonSet']
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(w)
RETURN w.cluster AS cluster,
       coalesce(w.service, w.name) AS service,
       w.namespace AS namespace,
       w.name AS deployment,
       w.kind AS kind,
       k.name AS kustomization,
       k.source_dir AS flux_path,
       w.description AS description,
       w.source_file AS source_file,
       w.images AS images
ORDER BY service, cluster, namespace, deployment
