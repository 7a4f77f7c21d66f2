// Upsert a batch of nodes of one label. row.props holds every property (id and
// load_tag included), so properties a node lost since the last load disappear.
UNWIND $rows AS row
MERGE (n:{label} {id: row.id})
SET n = row.props
