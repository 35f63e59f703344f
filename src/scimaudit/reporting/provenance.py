"""Who made a pack, when, with which code: generation time (``SOURCE_DATE_EPOCH``), user, commit.

``SOURCE_DATE_EPOCH`` is the reproducible-builds.org convention: when set, it is the only clock the
document, its metadata and its attachments use, so the same data gives the same bytes.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from datetime import UTC, datetime
from functools import cache

from scimaudit.errors import ReportError
from scimaudit.resources import checkout_dir


def generation_time() -> datetime:
    """``SOURCE_DATE_EPOCH`` as UTC when set (reproducible builds), else now (whole seconds)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw.strip()), UTC)
    except (ValueError, OverflowError, OSError):
        raise ReportError(
            f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds since 1970-01-01 UTC"
        ) from None


def generated_by() -> str:
    """Who produced the pack: ``$SCIMAUDIT_GENERATED_BY``, else the OS user name."""
    explicit = os.environ.get("SCIMAUDIT_GENERATED_BY", "").strip()
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@cache
def git_commit() -> str:
    """The source commit, when running from a git checkout; "unknown" in an installed copy.

    Read once per process: the code a process runs does not change when someone commits later.
    Only a checkout is asked: a wheel installed in a virtualenv inside some other git repository
    would otherwise report that repository's commit as the code that made the pack.
    """
    checkout = checkout_dir()
    if checkout is None:
        return "unknown"
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else "unknown"
