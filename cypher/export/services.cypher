// export: services
// summary: One row per long-running workload (Deployment, StatefulSet, DaemonSet) with
// where it runs, the Flux Kustomization that applies it, and what it mounts, uses and
// calls (Services named in its env or in the ConfigMap keys it reads, its own Services
// left out); feeds
// data/services.json. Lists are unordered (the exporter sorts them).
// calls_released: a Service that an unrendered chart would make, named by address, as
// 'name.namespace RELEASE' (the HelmRelease whose release makes it; CALLS marked inferred).
// columns: id, cluster, service, namespace, deployment, kind, kustomization, flux_path, description, source_file, images, app, service_account, secret_provider_classes, config_maps, secrets, calls, calls_released
MATCH (w:Workload)
WHERE w.repo = $repo
  AND (w.cluster IN $clusters OR $clusters IS NULL)
  AND w.kind IN ['Deployment', 'StatefulSet', 'DaemonSet']
// the first applier by name, and its source_dir (portable: min() and a second match,
// not head(collect()) after WITH ... ORDER BY)
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(w)
WITH w, min(applier.name) AS kustomization
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(w)
WHERE k.name = kustomization
WITH w, kustomization, min(k.source_dir) AS flux_path
OPTIONAL MATCH (w)-[:MOUNTS]->(spc:SecretProviderClass)
WITH w, kustomization, flux_path, collect(DISTINCT spc.name) AS spcs
OPTIONAL MATCH (w)-[:USES]->(cm:ConfigMap)
WITH w, kustomization, flux_path, spcs, collect(DISTINCT cm.name) AS cms
OPTIONAL MATCH (w)-[:USES]->(s:Secret)
WITH w, kustomization, flux_path, spcs, cms, collect(DISTINCT s.name) AS secrets
// CASE: in the embedded engine null + '/' is '/', not null (no match must add nothing)
OPTIONAL MATCH (w)-[:CALLS]->(direct:Service)
WHERE NOT EXISTS { MATCH (direct)-[:SELECTS]->(w) }
WITH w, kustomization, flux_path, spcs, cms, secrets,
     collect(DISTINCT CASE WHEN direct IS NULL THEN null ELSE direct.namespace + '/' + direct.name END) AS calls_direct
OPTIONAL MATCH (w)-[:READS_KEY]->(:ConfigKey)-[:CALLS]->(viaconfig:Service)
WHERE NOT EXISTS { MATCH (viaconfig)-[:SELECTS]->(w) }
WITH w, kustomization, flux_path, spcs, cms, secrets, calls_direct,
     collect(DISTINCT CASE WHEN viaconfig IS NULL THEN null ELSE viaconfig.namespace + '/' + viaconfig.name END) AS calls_config
OPTIONAL MATCH (w)-[direct_release:CALLS]->(released:HelmRelease)
WITH w, kustomization, flux_path, spcs, cms, secrets, calls_direct, calls_config,
     collect(DISTINCT CASE WHEN released IS NULL THEN null ELSE direct_release.service + ' ' + released.name END) AS released_direct
OPTIONAL MATCH (w)-[:READS_KEY]->(:ConfigKey)-[config_release:CALLS]->(released_config:HelmRelease)
WITH w, kustomization, flux_path, spcs, cms, secrets, calls_direct, calls_config, released_direct,
     collect(DISTINCT CASE WHEN released_config IS NULL THEN null ELSE config_release.service + ' ' + released_config.name END) AS released_config
RETURN w.id AS id,
       w.cluster AS cluster,
       coalesce(w.service, w.name) AS service,
       w.namespace AS namespace,
       w.name AS deployment,
       w.kind AS kind,
       kustomization,
       flux_path,
       w.description AS description,
       w.source_file AS source_file,
       w.images AS images,
       w.app AS app,
       w.service_account AS service_account,
       spcs AS secret_provider_classes,
       cms AS config_maps,
       secrets,
       calls_direct + calls_config AS calls,
       released_direct + released_config AS calls_released
ORDER BY service, cluster, namespace, deployment
