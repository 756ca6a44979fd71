"""Sending mail to account holders: one small interface, two implementations.

    Mailer (send one Mail)
    ├── LogMailer    development and tests: logs each message, body and links included, on
    │                the `registry.mail` logger (the registry's log under `acc registry serve`),
    │                keeps the last ones in memory (`outbox`) and, when `mail_log` is set,
    │                appends each as a JSON line to that file
    └── SmtpMailer   production: an SMTP server the operator configures (`smtp_*` settings),
                     over STARTTLS or TLS unless told otherwise

The registry mails what an account holder must hear about even when someone else holds
their session or token (a new signing key, a password change) and the links that prove
an address is theirs (registration, password reset). A failure to send is logged and
never undoes the change that caused the mail: mail goes out after the commit.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from registry.config import RegistryConfig

logger = logging.getLogger("registry.mail")

SMTP_TIMEOUT_SECONDS = 10.0
_OUTBOX_SIZE = 100


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver `mail` (or hand it to a server that will); raise OSError/SMTPException on failure."""


class LogMailer:
    """Logs mail instead of sending it, for development and tests."""

    def __init__(self, mail_log: Path | None = None) -> None:
        self.mail_log = mail_log
        #: The most recent messages, newest last.
        self.outbox: deque[Mail] = deque(maxlen=_OUTBOX_SIZE)

    def send(self, mail: Mail) -> None:
        self.outbox.append(mail)
        # The whole mail, so a developer without a mail server can follow its link.
        logger.info("mail to %s: %s\n\n%s", mail.to, mail.subject, mail.body)
        if self.mail_log is not None:
            line = json.dumps({"to": mail.to, "subject": mail.subject, "body": mail.body})
            with self.mail_log.open("a", encoding="utf-8") as f:
                f.write(line + "\n")


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    #: "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    security: str = "starttls"

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def mailer_for(config: RegistryConfig) -> Mailer:
    """The mailer the configuration asks for (checked by registry.config.load_config)."""
    if config.mailer == "smtp":
        return SmtpMailer(
            host=config.smtp_host,
            port=config.smtp_port,
            sender=config.smtp_from,
            username=config.smtp_username,
            password=config.smtp_password,
            security=config.smtp_security,
        )
    return LogMailer(config.mail_log if str(config.mail_log) not in ("", ".") else None)


def send_quietly(mailer: Mailer, mail: Mail) -> None:
    """Send `mail`; log a failure instead of raising (the change it reports is committed)."""
    try:
        mailer.send(mail)
    except (OSError, smtplib.SMTPException) as e:
        logger.error("could not send mail to %s (%s): %s", mail.to, mail.subject, e)
