"""SQL of the review workflow store (SQLite), applied by :mod:`scimaudit.store.review_state`."""
