// Bulk-load one label's nodes from a DataFrame (columns in table order) into a fresh database.
COPY {label} FROM frame
