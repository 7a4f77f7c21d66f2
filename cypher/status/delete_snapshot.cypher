// Remove a cluster's previous status layer (in the status load's transaction).
MATCH (n:LiveStatus)
WHERE n.cluster = $cluster AND n.status_repo = $repo
DETACH DELETE n
