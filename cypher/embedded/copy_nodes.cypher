// Bulk-load one label's nodes from a CSV file kg wrote (kg/store/embedded_store.py, _Batches):
// the file's columns in table order with their types (a list read as STRING), returned as
// they are (a list split back: csv_list.cypher); all generated from kg/schema.py.
COPY {label} FROM (LOAD WITH HEADERS ({columns}) FROM {file} (header=false, parallel=false) RETURN {values})
