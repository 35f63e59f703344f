"""A campaign with many reviewers, for the concurrency tests and bench/bench_review_load.py.

``reviewers`` managers under one CEO, each with ``reports`` people holding a crm account in
``groups`` groups: every manager reviews ``reports * (groups + 1)`` items.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from review_support import A, P, build_store, make_config
from scimaudit.config import Config
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.db import review_view

HR_COLUMNS = {
    "employee_id": "Employee ID",
    "status": "Status",
    "email": "Email",
    "first_name": "First",
    "last_name": "Last",
    "department": "Department",
    "title": "Title",
    "manager_id": "Manager",
}


def many_reviewers(reviewers: int, reports: int = 4, groups: int = 4) -> tuple[list[P], list[A]]:
    people = [P("C0", "Cleo", "Chief", dept="Executive", title="CEO")]
    accounts: list[A] = []
    for m in range(1, reviewers + 1):
        people.append(P(f"M{m}", "Manager", f"N{m}", dept=f"D{m}", manager="C0", title="Manager"))
        for r in range(1, reports + 1):
            pid = f"E{m}x{r}"
            people.append(P(pid, "Staff", f"N{m}x{r}", dept=f"D{m}", manager=f"M{m}"))
            accounts.append(A("crm", f"c-{pid}", pid, [f"G{g}" for g in range(groups)]))
    return people, accounts


def hr_csv(people: list[P], path: Path) -> Path:
    """The people as an HR export (for `scimaudit collect --source hr`)."""
    lines = ["Employee ID,Status,Email,First,Last,Department,Title,Manager"]
    for p in people:
        status = "Terminated" if p.status == "terminated" else "Active"
        lines.append(
            f"{p.id},{status},{p.email},{p.first},{p.last},{p.dept or ''},{p.title or ''},"
            f"{p.manager or ''}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_campaign(
    tmp: Path, reviewers: int, reports: int = 4, groups: int = 4
) -> tuple[Config, int, list[P], dict[str, list[int]]]:
    """A store and an open campaign; returns (config, campaign, people, reviewer id → item ids)."""
    people, accounts = many_reviewers(reviewers, reports, groups)
    hr = hr_csv(people, tmp / "hr.csv")
    config = make_config(
        tmp,
        apps={"crm": {"fallback_reviewer": "C0"}},
        extra={"hr": {"path": str(hr), "columns": HR_COLUMNS}},
    )
    build_store(config, people, accounts)
    cid = start_campaign(
        config, name="load", due=date.today() + timedelta(days=7), actor="cli:test"
    )
    queues: dict[str, list[int]] = {}
    with review_view(config, cid) as con:
        for reviewer, item in con.execute(
            "SELECT reviewer_id, item_id FROM campaign_item_reviewer WHERE campaign_id = ?"
            " ORDER BY item_id",
            [cid],
        ).fetchall():
            queues.setdefault(str(reviewer), []).append(int(item))
    return config, cid, people, queues
