// The first statement of a status load (Neo4j): write the cluster's StatusSnapshot
// node. Neo4j holds its write lock until the transaction ends, so two status loads of
// one cluster never interleave.
MERGE (s:StatusSnapshot {id: $id})
SET s.status_lock = $tag
