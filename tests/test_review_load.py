"""Many reviewers at once (issue 15): nothing refused, lost or misplaced, the chain verifies, and
`analyze` / `review status` / `collect` run meanwhile without a lock error.

Timing is measured by bench/bench_review_load.py; these tests assert outcomes only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from load_support import load_campaign
from review_support import P, actor
from scimaudit.config import CONFIG_ENV
from scimaudit.errors import ReviewError
from scimaudit.review.db import review_view
from scimaudit.review.decisions import decide, verify_chain
from scimaudit.store.review_state import review_db


def _person(people: list[P], pid: str) -> P:
    return next(p for p in people if p.id == pid)


def _decide_queue(
    config: object, cid: int, who: P, items: list[int], errors: list[BaseException]
) -> None:
    try:
        for n, item in enumerate(items):
            decision = "revoke" if n % 3 == 0 else "keep"
            decide(config, actor(who), cid, [item], decision, f"{who.id}:{item}")  # type: ignore[arg-type]
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def _cli(config_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, CONFIG_ENV: str(config_path)}
    return subprocess.run(
        [sys.executable, "-m", "scimaudit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _assert_all_recorded(config: object, cid: int, queues: dict[str, list[int]]) -> None:
    with review_view(config, cid) as con:  # type: ignore[arg-type]
        rows = con.execute(
            "SELECT d.item_id, d.decision, d.reason, d.actor_employee_id, r.reviewer_id"
            " FROM campaign_decision_current d JOIN campaign_item_reviewer r"
            " USING (campaign_id, item_id) WHERE d.campaign_id = ?",
            [cid],
        ).fetchall()
        records = con.execute(
            "SELECT count(*) FROM review_log WHERE campaign_id = ? AND kind = 'decision'", [cid]
        ).fetchone()
    expected = {
        item: ("revoke" if n % 3 == 0 else "keep", f"{reviewer}:{item}", reviewer)
        for reviewer, items in queues.items()
        for n, item in enumerate(items)
    }
    got = {item: (decision, reason, by) for item, decision, reason, by, owner in rows}
    assert got == expected  # nothing lost, nothing on another item or by another reviewer
    assert all(by == owner for _i, _d, _r, by, owner in rows)
    assert records == (len(expected),)  # exactly one record per decision: no duplicates
    chain = verify_chain(config, cid)  # type: ignore[arg-type]
    assert chain.ok and chain.records == len(expected), chain.problems


def test_concurrent_reviewers_lose_and_misplace_nothing(tmp_path: Path) -> None:
    config, cid, people, queues = load_campaign(tmp_path, reviewers=24, reports=2, groups=2)
    queues.pop("C0", None)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_decide_queue, args=(config, cid, _person(people, r), q, errors))
        for r, q in queues.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _assert_all_recorded(config, cid, queues)


def test_a_broken_rule_fails_alone_in_its_batch(tmp_path: Path) -> None:
    """Units share a transaction; one refused decision must not undo or block the others."""
    config, cid, people, queues = load_campaign(tmp_path, reviewers=6, reports=1, groups=1)
    queues.pop("C0", None)
    refused: list[BaseException] = []
    ok: list[int] = []

    def run(reviewer: str, items: list[int]) -> None:
        who = _person(people, reviewer)
        for item in items:
            try:
                reason = None if reviewer == "M1" else "fine"  # M1 revokes without a reason
                ok.append(decide(config, actor(who), cid, [item], "revoke", reason))
            except ReviewError as exc:
                refused.append(exc)

    threads = [threading.Thread(target=run, args=(r, q)) for r, q in queues.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == len(queues["M1"]) and all("reason" in str(e) for e in refused)
    assert sum(ok) == sum(len(q) for r, q in queues.items() if r != "M1")
    assert verify_chain(config, cid).ok


DECIDER = """
import sys
sys.path.insert(0, {tests!r})
from review_support import P, actor
from scimaudit.config import load_config
from scimaudit.review.decisions import decide
config = load_config({config!r})
for spec in sys.argv[1:]:
    reviewer, items = spec.split("=")
    who = P(reviewer, "Manager", "N" + reviewer[1:], dept="D" + reviewer[1:], manager="C0")
    for n, item in enumerate(int(i) for i in items.split(",")):
        decide(config, actor(who), {cid}, [item], "revoke" if n % 3 == 0 else "keep",
               f"{{reviewer}}:{{item}}")
"""


@pytest.mark.slow
def test_processes_deciding_while_analyze_collect_and_status_run(tmp_path: Path) -> None:
    """Reviewers in two processes (the dashboard and a CLI) while `analyze`, `collect` and
    `review status` run: no lock error anywhere, every decision recorded once, chain intact."""
    config, cid, people, queues = load_campaign(tmp_path, reviewers=12, reports=2, groups=2)
    queues.pop("C0", None)
    assert config.source is not None
    script = DECIDER.format(tests=str(Path(__file__).parent), config=str(config.source), cid=cid)
    names = sorted(queues)
    half = names[: len(names) // 2]
    other = subprocess.Popen(
        [sys.executable, "-c", script, *[f"{r}={','.join(map(str, queues[r]))}" for r in half]],
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_decide_queue, args=(config, cid, _person(people, r), queues[r], errors)
        )
        for r in names[len(names) // 2 :]
    ]
    for t in threads:
        t.start()
    analyze = _cli(config.source, "analyze")
    collect = _cli(config.source, "collect", "--source", "hr", "--no-progress")
    status = _cli(config.source, "review", "status")
    for t in threads:
        t.join()
    _out, err = other.communicate(timeout=300)
    assert other.returncode == 0, err
    assert errors == []
    assert analyze.returncode == 0, analyze.stderr
    assert collect.returncode == 0, collect.stderr
    assert status.returncode == 0 and "load" in status.stdout, status.stderr
    _assert_all_recorded(config, cid, queues)
    with review_db(config.store.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
