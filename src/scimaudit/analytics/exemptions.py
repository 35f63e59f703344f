"""Exemptions (risk accepted) from ``[[policy.exemptions]]``: validated before a run.

An exemption never hides a finding: the finding stays in every list as ``exempted`` with the owner,
reason and expiry shown, and once ``expires`` is before the analysis date it is ``open`` again
(the lapsed exemption still shown). It matches findings by ``kind``, ``app`` (``"*"`` for findings
that have no single app) and ``account`` (account id, userName or person id, any case), and, when
``group`` is given, only the finding about that group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scimaudit.analytics.registry import KIND_IDS
from scimaudit.config import Config
from scimaudit.errors import ConfigError


@dataclass(frozen=True)
class ExemptionRow:
    config_index: int
    kind: str
    app: str
    account_key: str
    group_key: str | None
    owner: str
    reason: str
    expires: date


def load_exemptions(config: Config) -> list[ExemptionRow]:
    """The configured exemptions as rows; a bad kind or date is a :class:`ConfigError`."""
    rows: list[ExemptionRow] = []
    problems: list[str] = []
    for index, item in enumerate(config.policy.exemptions):
        where = f"{config.source}: policy.exemptions[{index}]"
        if item.kind not in KIND_IDS:
            problems.append(
                f"{where}.kind: {item.kind!r} is not a finding kind ({', '.join(KIND_IDS)})"
            )
        try:
            expires = date.fromisoformat(item.expires.strip())
        except ValueError:
            problems.append(f"{where}.expires: {item.expires!r} is not an ISO date YYYY-MM-DD")
            continue
        for field in ("owner", "reason", "account"):
            if not getattr(item, field).strip():
                problems.append(f"{where}.{field}: empty")
        group = item.group
        rows.append(
            ExemptionRow(
                config_index=index,
                kind=item.kind,
                app=item.app.strip(),
                account_key=item.account.strip().lower(),
                group_key=group.strip().lower() if group else None,
                owner=item.owner.strip(),
                reason=item.reason.strip(),
                expires=expires,
            )
        )
    if problems:
        raise ConfigError("invalid exemptions\n" + "\n".join(problems))
    return rows
