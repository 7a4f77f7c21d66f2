// Objects a status snapshot saw in the cluster by NAME (kg ask found nothing else by that
// name: an object in the cluster and not in the repository has only its LiveStatus node).
MATCH (n:LiveStatus)
WHERE n.name = $name
  AND (n.namespace = $namespace OR $namespace IS NULL)
  AND (n.cluster = $cluster OR $cluster IS NULL)
  AND (n.status_repo = $repo OR $repo IS NULL)
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.namespace AS namespace, n.cluster AS cluster,
       n.status_repo AS repo, n.status_kind AS status_kind, n.status_drift AS status_drift,
       n.status_reason AS status_reason, n.status_next AS status_next
ORDER BY id
