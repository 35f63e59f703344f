"""The SCIM collector: complete, provable pulls of Users and Groups from SCIM 2.0 endpoints.

Library entry point: :func:`collect_apps` (sync) / :func:`collect_apps_async`. See
``collector.py`` for the flow and ``completeness.py`` for what makes a snapshot complete.

The entry points load on first use (PEP 562): the collector pulls in httpx and the whole fetch
stack (~0.5 s), which readers of the page archive, such as the dashboard, never need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scimaudit.collect.scim.collector import (
        AppResult,
        collect_apps,
        collect_apps_async,
        recollect,
        select_apps,
    )

__all__ = ["AppResult", "collect_apps", "collect_apps_async", "recollect", "select_apps"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("scimaudit.collect.scim.collector"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
