"""Safety rails: how much one run may do, whom it may never touch, how old its facts may be.

Why these three: an automated revocation that goes wrong locks people out of production systems.
A per-run cap bounds the damage of a wrong plan (a bad filter, a misread HR export) to a handful of
accounts; break-glass accounts are the way back in when the identity provider itself fails, so no
plan may ever touch them; and a plan computed from an old snapshot acts on a picture of the app
that may no longer be true (the person may have been re-hired, the group repurposed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from scimaudit.config import AppConfig, Config
from scimaudit.errors import RemediationError


def is_break_glass(app: AppConfig, user_name: str | None) -> bool:
    """Whether ``user_name`` is one of the app's declared break-glass accounts (case-insensitive).

    userName is case-insensitive in SCIM (RFC 7643 §4.1.1 ``caseExact`` false), so is this check.
    """
    if not user_name:
        return False
    wanted = user_name.strip().casefold()
    return any(wanted == declared.strip().casefold() for declared in app.break_glass_accounts)


def snapshot_age_hours(as_of: datetime | str, now: datetime | None = None) -> float:
    """Hours between a snapshot's as-of time and ``now`` (a naive time is taken as UTC)."""
    moment = datetime.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - moment).total_seconds() / 3600.0


def check_snapshot_age(
    cfg: Config, app: str, snapshot_id: int, as_of: datetime | str, *, now: datetime | None = None
) -> None:
    """Refuse a snapshot older than ``[remediation] max_snapshot_age_hours``."""
    limit = cfg.remediation.max_snapshot_age_hours
    age = snapshot_age_hours(as_of, now)
    if age > limit:
        raise RemediationError(
            f"app {app}: snapshot {snapshot_id} is {age:.1f} h old, over the "
            f"[remediation] max_snapshot_age_hours limit of {limit:g} h; run "
            f"`scimaudit collect --app {app}` and make a new plan"
        )


def check_operation_count(count: int, cfg: Config, max_ops: int | None) -> int:
    """Refuse a run of more operations than allowed; return the limit that applied.

    The limit is ``[remediation] max_operations`` unless the operator raises it explicitly for this
    run with ``--max-ops N``.
    """
    limit = max_ops if max_ops is not None else cfg.remediation.max_operations
    if max_ops is not None and max_ops < 1:
        raise RemediationError(f"--max-ops must be at least 1 (got {max_ops})")
    if count > limit:
        origin = "--max-ops" if max_ops is not None else "[remediation] max_operations"
        raise RemediationError(
            f"this run would perform {count} operations, over the limit of {limit} ({origin}); "
            f"re-run with --max-ops {count} after checking the plan, or split the work"
        )
    return limit


def check_break_glass(cfg: Config, app: str, user_name: str | None, account_id: str) -> None:
    """Refuse an operation on a break-glass account (checked again at apply: config may change)."""
    if is_break_glass(cfg.app(app), user_name):
        raise RemediationError(
            f"app {app}: the plan touches break-glass account {user_name or account_id}, declared "
            "in apps.break_glass_accounts; remediation never touches it. Make a new plan."
        )
