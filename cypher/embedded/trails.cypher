// Variable-length patterns as trails (no relationship twice in a path), as in Neo4j;
// run on every connection of the embedded engine.
CALL recursive_pattern_semantic='TRAIL'
