"""Browsing the database in Datasette: the metadata that explains it (metadata.py), the
canned queries analysts ask most (queries.py) and the server (serve.py)."""
