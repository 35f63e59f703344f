"""Numbered migration SQL files (NNN_name.sql)."""
