"""The call store: pulling board logs into SQLite, and the records in it."""
