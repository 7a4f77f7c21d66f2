// The key of every relationship of one type between two labels.
MATCH (a:{start_label})-[r:{type}]->(b:{end_label})
RETURN a.id AS from_id, b.id AS to_id, r.rel_key AS rel_key
