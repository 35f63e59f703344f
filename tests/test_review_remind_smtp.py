"""Reminder emails (issue 15, item 7) against a real SMTP server (aiosmtpd) on 127.0.0.1: one
message per reviewer with count, due date and link; once a day; every send or failure recorded in
the campaign's hash-chained log; STARTTLS with a password read from its reference."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from review_support import CEO, MIA, OLE, ORG, SEC, A, F, actor, build_store, make_config
from scimaudit.config import Config
from scimaudit.errors import ConfigError
from scimaudit.review.actors import cli_actor
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import verify_chain
from scimaudit.review.reminders import remind
from scimaudit.store.review_state import review_db

TODAY = date(2026, 3, 2)
DUE = TODAY + timedelta(days=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the server accepted, and addresses it refuses (550)."""

    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def to(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def setup(
    tmp_path: Path, notifications: dict[str, Any] | None, name: str = "Q1 <SOX>"
) -> tuple[Config, int]:
    config = make_config(
        tmp_path,
        apps={"crm": {"fallback_reviewer": "E2"}, "code": {"fallback_reviewer": "E3"}},
        extra={"notifications": notifications} if notifications else None,
    )
    build_store(
        config,
        ORG,
        [
            A("crm", "c-sam", "E4", ["Sales-Users"]),
            A("crm", "c-sue", "E5"),
            A("code", "k-dev", "E7", ["developers"]),
            A("code", "k-sec", "E8"),
        ],
        [F("terminated_active", "crm", "c-sue")],
    )
    return config, start_campaign(config, name=name, due=DUE, actor="cli:t", today=TODAY)


def log(config: Config, cid: int) -> list[tuple[str, str]]:
    with review_db(config.store.path) as con:
        rows = con.execute(
            "SELECT reviewer_id, reason FROM review_log WHERE campaign_id = ? AND kind = 'reminder'"
            " ORDER BY seq",
            [cid],
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def plain(port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "starttls": False,
        "from_address": "Access reviews <reviews@example.com>",
        "dashboard_url": "https://reviews.example.com/",
    }


@pytest.mark.slow
def test_one_email_per_reviewer_with_count_due_date_and_link(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    config, cid = setup(tmp_path, plain(port))
    got = remind(config, cli_actor(), cid, today=TODAY)
    assert {(r.reviewer_id, r.status) for r in got} == {
        (MIA.id, "sent"),
        (OLE.id, "sent"),
        (CEO.id, "sent"),  # Sec's account goes to her manager, the CEO
    }
    assert len(inbox.messages) == 3
    mia = next(m for m in inbox.messages if MIA.email in str(m["To"]))
    body = mia.get_content()
    assert "Mia Manager" in str(mia["To"])
    assert "3 item(s) to review, due in 5 day(s)" in str(mia["Subject"])
    assert "Q1 <SOX>" in str(mia["Subject"])
    assert "You have 3 access item(s)" in body and DUE.isoformat() in body
    assert f"https://reviews.example.com/my_reviews?campaign={cid}" in body
    assert str(mia["From"]) == "Access reviews <reviews@example.com>"
    records = log(config, cid)
    assert len(records) == 3
    assert (
        MIA.id,
        f"email sent to {MIA.email}: 3 undecided, due {DUE} (reminder for {TODAY})",
    ) in records
    assert verify_chain(config, cid).ok


@pytest.mark.slow
def test_idempotent_per_day_also_when_clicked_twice_at_once(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    config, cid = setup(tmp_path, plain(port))
    admin = actor(SEC, "security")
    results: list[list[Any]] = []
    clicks = [
        threading.Thread(target=lambda: results.append(remind(config, admin, cid, today=TODAY)))
        for _ in range(2)
    ]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert len(inbox.messages) == 3 and len(log(config, cid)) == 3
    statuses = sorted(r.status for batch in results for r in batch)
    assert statuses == ["already reminded today"] * 3 + ["sent"] * 3
    again = remind(config, admin, cid, today=TODAY)
    assert {r.status for r in again} == {"already reminded today"}
    assert len(inbox.messages) == 3 and len(log(config, cid)) == 3
    remind(config, admin, cid, today=TODAY + timedelta(days=1))  # a new day: a new reminder
    assert len(inbox.messages) == 6 and len(log(config, cid)) == 6
    assert "due in 4 day(s)" in str(inbox.messages[-1]["Subject"])


@pytest.mark.slow
def test_failures_are_recorded_and_retried_the_same_day(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.refuse.add(OLE.email)
    config, cid = setup(tmp_path, plain(port))
    got = {r.reviewer_id: r.status for r in remind(config, cli_actor(), cid, today=TODAY)}
    assert got[MIA.id] == "sent" and got[OLE.id].startswith("failed: ")
    assert "550" in got[OLE.id]
    assert OLE.email not in " ".join(inbox.to())
    ole = [reason for who, reason in log(config, cid) if who == OLE.id]
    assert len(ole) == 1 and "failed" in ole[0] and "550" in ole[0]
    inbox.refuse.clear()
    retry = {r.reviewer_id: r.status for r in remind(config, cli_actor(), cid, today=TODAY)}
    assert retry == {
        MIA.id: "already reminded today",
        OLE.id: "sent",
        "E1": "already reminded today",
    }
    assert sum(OLE.email in str(m["To"]) for m in inbox.messages) == 1
    assert verify_chain(config, cid).ok


@pytest.mark.slow
def test_an_unreachable_relay_fails_every_reminder_on_record(tmp_path: Path) -> None:
    config, cid = setup(tmp_path, plain(free_port()))  # nothing listens there
    got = remind(config, cli_actor(), cid, today=TODAY)
    assert all(r.status.startswith("failed: cannot reach SMTP relay") for r in got)
    assert len(log(config, cid)) == 3 and all("failed" in reason for _w, reason in log(config, cid))


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.slow
def test_starttls_and_a_password_by_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        inbox.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret-relay")

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        monkeypatch.setenv("RELAY_PW", "s3cret-relay")
        settings = {
            **plain(port),
            "starttls": True,
            "ca_file": str(cert),
            "username": "scimaudit",
            "password": {"env": "RELAY_PW"},
        }
        config, cid = setup(tmp_path, settings)
        got = remind(config, cli_actor(), cid, today=TODAY)
        assert {r.status for r in got} == {"sent"} and len(inbox.messages) == 3
        assert inbox.logins == [("scimaudit", "s3cret-relay")]
        assert all("s3cret" not in reason for _w, reason in log(config, cid))
        # the wrong password: the session is refused, every reminder fails on record, no secret
        monkeypatch.setenv("RELAY_PW", "wrong")
        failed = remind(config, cli_actor(), cid, today=TODAY + timedelta(days=1))
        assert all(r.status.startswith("failed: SMTP relay") for r in failed)
        assert all("wrong" not in r.status for r in failed)
    finally:
        controller.stop()


def test_credentials_are_never_sent_in_clear_to_a_remote_relay(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="STARTTLS"):
        make_config(
            tmp_path,
            extra={
                "notifications": {
                    "smtp_host": "smtp.example.com",
                    "starttls": False,
                    "from_address": "r@example.com",
                    "username": "u",
                    "password": {"env": "X"},
                }
            },
        )


def test_without_notifications_reminders_are_listed_once_a_day(tmp_path: Path) -> None:
    config, cid = setup(tmp_path, None)
    first = remind(config, cli_actor(), cid, today=TODAY)
    assert {r.status for r in first} == {"listed"} and len(log(config, cid)) == 3
    assert {r.status for r in remind(config, cli_actor(), cid, today=TODAY)} == {
        "already reminded today"
    }
    assert len(log(config, cid)) == 3


@pytest.mark.slow
def test_a_campaign_name_cannot_inject_headers_or_recipients(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    name = "Q1\r\nBcc: attacker@evil.example\r\nX-Evil: 1"
    config, cid = setup(tmp_path, plain(port), name=name)
    remind(config, cli_actor(), cid, today=TODAY)
    assert len(inbox.messages) == 3
    assert all(len(rcpts) == 1 and "evil" not in rcpts[0] for rcpts in inbox.envelopes)
    for message in inbox.messages:
        assert message["Bcc"] is None and message["X-Evil"] is None
        assert "\n" not in str(message["Subject"])
