"""The DuckDB store: connections, migrations and the snapshot registry."""

from scimaudit.store.connect import connect

__all__ = ["connect"]
