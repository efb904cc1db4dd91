"""Grounding: evidence quotes located in the article, dates resolved against its dateline."""
