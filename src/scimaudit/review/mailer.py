"""Reminder emails: one plain-text message per reviewer, sent through the configured SMTP relay.

Plain text only (names and campaign titles come from HR and administrators, so nothing is
rendered as HTML), header values stripped of line breaks (no header injection), credentials read
from their reference at send time and never logged. STARTTLS is on by default and verified against
the system's CAs (or ``ca_file``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from scimaudit.config import NotificationsConfig
from scimaudit.errors import ReviewError


@dataclass(frozen=True)
class ReminderMail:
    to_email: str
    to_name: str | None
    campaign_id: int
    campaign_name: str
    undecided: int
    due: date
    today: date


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(settings: NotificationsConfig, mail: ReminderMail) -> EmailMessage:
    days = (mail.due - mail.today).days
    when = (
        f"due in {days} day(s), on {mail.due.isoformat()}"
        if days >= 0
        else f"{-days} day(s) overdue (was due {mail.due.isoformat()})"
    )
    link = f"{settings.dashboard_url.rstrip('/')}/my_reviews?campaign={mail.campaign_id}"
    msg = EmailMessage()
    msg["Subject"] = _one_line(
        f"Access review '{mail.campaign_name}': {mail.undecided} item(s) to review, {when}"
    )
    msg["From"] = _one_line(settings.from_address)
    msg["To"] = formataddr((_one_line(mail.to_name or ""), _one_line(mail.to_email)))
    msg["Message-ID"] = make_msgid(domain="scimaudit.invalid")
    greeting = f"Hello {_one_line(mail.to_name)}," if mail.to_name else "Hello,"
    msg.set_content(
        f"{greeting}\n\n"
        f"You have {mail.undecided} access item(s) still to review in the access review"
        f" campaign '{_one_line(mail.campaign_name)}' (campaign {mail.campaign_id}),"
        f" {when}.\n\n"
        f"Review them here: {link}\n\n"
        "Items you leave undecided are handled by the campaign's default when it closes.\n"
    )
    return msg


@contextmanager
def smtp_session(settings: NotificationsConfig) -> Iterator[smtplib.SMTP]:
    """A connected (and, when configured, STARTTLS-upgraded and logged-in) SMTP session."""
    try:
        smtp = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        )
    except (OSError, smtplib.SMTPException) as exc:
        raise ReviewError(
            f"cannot reach SMTP relay {settings.smtp_host}:{settings.smtp_port}: {exc}"
        ) from None
    try:
        smtp.ehlo()
        if settings.starttls:
            context = ssl.create_default_context(
                cafile=str(settings.ca_file) if settings.ca_file else None
            )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username and settings.password:
            smtp.login(settings.username, settings.password.reveal())
        yield smtp
    except (OSError, smtplib.SMTPException) as exc:
        raise ReviewError(
            f"SMTP relay {settings.smtp_host}:{settings.smtp_port} refused the session:"
            f" {type(exc).__name__}: {_one_line(str(exc))[:200]}"
        ) from None
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def send_one(smtp: smtplib.SMTP, message: EmailMessage) -> str | None:
    """Send; None on success, else why it failed (one line, no secrets)."""
    try:
        refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {_one_line(str(exc))[:200]}"
    if refused:
        return f"recipient refused: {refused}"
    return None
