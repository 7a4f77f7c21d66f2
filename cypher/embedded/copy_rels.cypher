// Bulk-load one (type, from, to) group of relationships from a DataFrame: from id, to id, then properties.
COPY {type} FROM frame (from='{start_label}', to='{end_label}')
