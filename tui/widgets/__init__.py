"""Reusable widgets (DEFAULT_CSS only here)."""
