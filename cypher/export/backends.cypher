// export: backends
// summary: Secret servers (SecretBackend): the in-cluster Service or HelmRelease that serves
// each, and the workloads (service names) whose secrets come from it through a mounted
// SecretProviderClass or a Secret an ExternalSecret syncs. Lists are unordered.
// columns: id, cluster, name, address, backend_type, service, service_namespace, served_by, users
MATCH (b:SecretBackend)
WHERE b.repo = $repo
  AND (b.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (b)-[:SERVED_BY]->(x)
// CASE: in the embedded engine null + '/' is '/', not null (no match must add nothing)
WITH b, collect(DISTINCT CASE WHEN x IS NULL THEN null ELSE x.kind + '/' + x.name END) AS served_by
OPTIONAL MATCH (mounting:Workload)-[:MOUNTS]->(:SecretProviderClass)-[:BACKED_BY]->(b)
WITH b, served_by, collect(DISTINCT coalesce(mounting.service, mounting.name)) AS mounters
OPTIONAL MATCH (reading:Workload)-[:USES]->(:Secret)<-[:SYNCS]-(:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(b)
WITH b, served_by, mounters, collect(DISTINCT coalesce(reading.service, reading.name)) AS readers
RETURN b.id AS id, b.cluster AS cluster, b.name AS name, b.address AS address, b.backend_type AS backend_type,
       b.service AS service, b.service_namespace AS service_namespace, served_by,
       mounters + readers AS users
ORDER BY name, cluster, address
