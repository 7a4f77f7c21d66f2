// Bulk-load one (type, from, to) group of relationships from a CSV file kg wrote: from id,
// to id, then the properties (columns and values as in copy_nodes.cypher).
COPY {type} FROM (LOAD WITH HEADERS ({columns}) FROM {file} (header=false, parallel=false) RETURN {values}) (from='{start_label}', to='{end_label}')
