"""Managers' reports: figures from the store, and their text/HTML/Excel/CSV forms."""
