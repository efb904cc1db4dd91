"""Recorded model responses: cassettes, the reference server, re-recording."""
