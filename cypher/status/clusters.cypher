// The clusters the graph holds (a status load names one of them).
MATCH (c:Cluster)
RETURN c.name AS cluster
