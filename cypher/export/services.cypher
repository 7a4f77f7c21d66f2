// export: services
// summary: One row per long-running workload (Deployment, StatefulSet, DaemonSet) with
// where it runs, the Flux Kustomization that applies it, and what it mounts, uses and
// calls (Services named in its env or in the ConfigMap keys it reads, its own Services
// left out); feeds
// data/services.json. Lists are unordered (the exporter sorts them).
// columns: id, cluster, service, namespace, deployment, kind, kustomization, flux_path, description, source_file, images, app, secret_provider_classes, config_maps, secrets, calls
MATCH (w:Workload)
WHERE w.repo = $repo
  AND ($clusters IS NULL OR w.cluster IN $clusters)
  AND w.kind IN ['Deployment', 'StatefulSet', 'DaemonSet']
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(w)
WITH w, applier ORDER BY applier.name
WITH w, head(collect(applier)) AS k
OPTIONAL MATCH (w)-[:MOUNTS]->(spc:SecretProviderClass)
WITH w, k, collect(DISTINCT spc.name) AS spcs
OPTIONAL MATCH (w)-[:USES]->(cm:ConfigMap)
WITH w, k, spcs, collect(DISTINCT cm.name) AS cms
OPTIONAL MATCH (w)-[:USES]->(s:Secret)
WITH w, k, spcs, cms, collect(DISTINCT s.name) AS secrets
OPTIONAL MATCH (w)-[:CALLS]->(direct:Service)
WHERE NOT EXISTS { MATCH (direct)-[:SELECTS]->(w) }
WITH w, k, spcs, cms, secrets, collect(DISTINCT direct.namespace + '/' + direct.name) AS calls_direct
OPTIONAL MATCH (w)-[:READS_KEY]->(:ConfigKey)-[:CALLS]->(viaconfig:Service)
WHERE NOT EXISTS { MATCH (viaconfig)-[:SELECTS]->(w) }
WITH w, k, spcs, cms, secrets, calls_direct, collect(DISTINCT viaconfig.namespace + '/' + viaconfig.name) AS calls_config
RETURN w.id AS id,
       w.cluster AS cluster,
       coalesce(w.service, w.name) AS service,
       w.namespace AS namespace,
       w.name AS deployment,
       w.kind AS kind,
       k.name AS kustomization,
       k.source_dir AS flux_path,
       w.description AS description,
       w.source_file AS source_file,
       w.images AS images,
       w.app AS app,
       spcs AS secret_provider_classes,
       cms AS config_maps,
       secrets,
       calls_direct + calls_config AS calls
ORDER BY service, cluster, namespace, deployment
