// A list column of a COPY's CSV file back into STRING[] (kg/store/embedded_store.py, csv_field):
// '' is the empty list; else items joined with U+001F, each item prefixed with U+001E, and
// U+001B, U+001F, U+001E inside an item written as U+001B 0, U+001B 1, U+001B 2. Ladybug's
// string_split drops empty pieces (the prefix keeps every piece non-empty) and its substring
// inside list_transform corrupted a 20,000-object load (the prefix goes with replace).
CASE WHEN {column} IS NULL THEN NULL WHEN {column} = '' THEN CAST([] AS STRING[]) ELSE list_transform(string_split({column}, '\u001f'), item -> replace(replace(replace(replace(item, '\u001e', ''), '\u001b2', '\u001e'), '\u001b1', '\u001f'), '\u001b0', '\u001b')) END
