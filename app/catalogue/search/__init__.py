"""Persian-aware catalogue search: the index (index.py) and the query plan (query.py)."""
