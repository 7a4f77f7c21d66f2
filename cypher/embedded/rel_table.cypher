// Typed relationship table of one type, with every (from, to) label pair the schema allows.
// The type, the pairs and the columns are generated from kg/schema.py, never from input.
CREATE REL TABLE {type}({pairs}, {columns})
