// Node tables without Ladybug's default primary-key hash index: each one allocates and
// touches ~3.6 MB when the file is opened or written (75 MB for kg's 21 tables, the
// largest part of a load's memory and of a question's start-up), for look-ups by `id`
// that kg's questions hardly make. Primary keys stay unique. Run before the tables are
// created; the tables keep it in the file.
CALL enable_default_hash_index=false
