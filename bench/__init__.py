"""``make bench``: a large realistic data set in PostgreSQL, and what Converse does with it."""
