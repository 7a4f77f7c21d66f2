// STATUS_OF from a batch of LiveStatus nodes to their graph nodes of one label. {label}
// is a schema label, never user input.
UNWIND $rows AS row
MATCH (s:LiveStatus {id: row.start})
MATCH (n:{label} {id: row.end})
CREATE (s)-[r:STATUS_OF]->(n)
SET r.rel_key = '', r.load_tag = row.tag
