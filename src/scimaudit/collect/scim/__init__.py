"""The SCIM collector: complete, provable pulls of Users and Groups from SCIM 2.0 endpoints.

Library entry point: :func:`collect_apps` (sync) / :func:`collect_apps_async`. See
``collector.py`` for the flow and ``completeness.py`` for what makes a snapshot complete.
"""

from scimaudit.collect.scim.collector import (
    AppResult,
    collect_apps,
    collect_apps_async,
    select_apps,
)

__all__ = ["AppResult", "collect_apps", "collect_apps_async", "select_apps"]
