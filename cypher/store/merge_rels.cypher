// Upsert a batch of relationships of one type between two labels. rel_key tells
// apart parallel relationships (e.g. two Vault objects read from the same path).
UNWIND $rows AS row
MATCH (a:{start_label} {id: row.start})
MATCH (b:{end_label} {id: row.end})
MERGE (a)-[r:{type} {rel_key: row.rel_key}]->(b)
SET r = row.props
