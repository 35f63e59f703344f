"""The collection history as a table: recent snapshots with status, timings, counts, hash and
failure reason, one row each (the dashboard's Collections page; ``scimaudit snapshots`` lists the
same registry through :mod:`scimaudit.store.snapshots`)."""

from __future__ import annotations

import pandas as pd

from scimaudit.config import Config
from scimaudit.store.connect import connect


def recent_snapshots(config: Config, *, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` snapshots, newest first; ``counts`` and ``completeness`` as stored
    (JSON text). Who may see them is checked by the caller."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        return con.execute(
            "SELECT snapshot_id, source_kind, source_name, status, as_of, started_at, finished_at,"
            " epoch(finished_at) - epoch(started_at) AS seconds, counts, completeness, sha256,"
            " error, location FROM snapshot ORDER BY snapshot_id DESC LIMIT ?",
            [limit],
        ).df()
