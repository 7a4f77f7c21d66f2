// Whether the graph holds any node of a label: kg skips a union part that says
// `// skip without: LABEL` when it holds none (kg/run_cypher.py).
MATCH (n:{label})
RETURN n.id AS id
LIMIT 1
