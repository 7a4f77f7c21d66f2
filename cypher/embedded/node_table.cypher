// Typed node table of one label (the embedded engine declares every column up front).
// The label and the columns are generated from kg/schema.py, never from input.
CREATE NODE TABLE {label}({columns}, PRIMARY KEY(id))
