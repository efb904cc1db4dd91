"""truce: attributed, grounded truce claims from news articles, stored in SQLite."""

__version__ = "0.1.0"
