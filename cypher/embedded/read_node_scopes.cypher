// The id and scope of every node of one label (what a load keeps is decided from these).
MATCH (n:{label})
RETURN n.id AS id, n.repo AS repo, n.cluster AS cluster
