"""The embedded email backend: each message becomes an .eml file in the outbox folder.

A laptop install needs no mail server; the file is exactly what SMTP would have carried, and
its name comes from the Message-ID, which the dispatcher derives from the idempotency key, so
the dispatcher can look a message up after a crash ("was it written?") and never writes it twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


def outbox_dir(kind: str) -> Path:
    path = Path(getattr(settings, "VORDER_OUTBOX_DIR", settings.DATA_DIR / "outbox")) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def eml_path(message_id: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>"))
    return outbox_dir("email") / f"{name}.eml"


class EmlOutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            mime = message.message()
            message_id = str(mime["Message-ID"])
            path = eml_path(message_id)
            if not path.exists():  # same Message-ID = same message: write once
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(mime.as_bytes(linesep="\r\n"))
                tmp.replace(path)
            sent += 1
        return sent

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
