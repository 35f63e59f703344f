"""The shared hash-chain rule: what breaks a chain and how the break is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from scimaudit.hashchain import Link, broken_links, canonical_hash

ROOT = "0" * 64


def chain(n: int) -> list[Link]:
    links, prev = [], ROOT
    for i in range(1, n + 1):
        values = {"seq": i, "what": f"event {i}", "prev": prev}
        prev = canonical_hash(values)
        links.append(Link(f"record {i}", values, prev))
    return links


def check(links: list[Link]) -> list[str]:
    return broken_links(links, ROOT, prev_field="prev", hash_field="record_hash")


def test_an_intact_chain_has_no_breaks() -> None:
    assert check(chain(5)) == []


def test_edit_delete_reorder_and_wrong_root_are_each_named() -> None:
    links = chain(5)
    edited = [*links[:2], Link("record 3", {**links[2].values, "what": "x"}, links[2].stored_hash)]
    assert check(edited + links[3:]) == ["record 3: content does not match its record_hash"]
    assert check(links[:2] + links[3:]) == ["record 4: does not chain from the record before it"]
    swapped = [links[0], links[2], links[1], *links[3:]]
    assert check(swapped) == [
        "record 3: does not chain from the record before it",
        "record 2: does not chain from the record before it",
        "record 4: does not chain from the record before it",
    ]
    assert broken_links(links, "f" * 64, prev_field="prev", hash_field="h", noun="entry") == [
        "record 1: does not chain from the entry before it"
    ]


def test_the_hash_does_not_depend_on_the_time_zone_a_timestamp_is_read_in() -> None:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    berlin = at.astimezone(timezone(timedelta(hours=1)))
    assert canonical_hash({"at": at}) == canonical_hash({"at": berlin})
    assert canonical_hash({"at": at}) != canonical_hash({"at": at + timedelta(microseconds=1)})
