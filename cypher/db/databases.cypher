// Databases and their access mode (run on the system database): kg load checks that
// its database is not read-only before rendering.
SHOW DATABASES YIELD name, access, home
