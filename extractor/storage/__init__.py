"""Storage: the SQLite database, its migrations, reads and writes."""
