"""Email settings from the environment (read by config/settings.py; no Django imports here).

VORDER_EMAIL_URL   smtp://user:pass@host:587?tls=1  (or smtps://…:465, ssl=1; timeout=20)
                   file:// or unset → the embedded outbox: .eml files in $VORDER_DATA_DIR/outbox/email
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL
                   Django's own names, used when VORDER_EMAIL_URL is not set but EMAIL_HOST is
VORDER_EMAIL_FROM  the From address (default DEFAULT_FROM_EMAIL or vorder@localhost)
VORDER_LETTER_PROVIDER, VORDER_SMS_PROVIDER
                   dotted path of a provider class (default: files in the outbox folder)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EML_BACKEND = "vorder.comms.backends.EmlOutboxBackend"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def email_settings_from_env(environ: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "DEFAULT_FROM_EMAIL": environ.get(
            "VORDER_EMAIL_FROM", environ.get("DEFAULT_FROM_EMAIL", "vorder@localhost")
        ),
        "VORDER_OUTBOX_DIR": data_dir / "outbox",
        "EMAIL_TIMEOUT": 20,
        "VORDER_LETTER_PROVIDER": environ.get("VORDER_LETTER_PROVIDER", ""),
        "VORDER_SMS_PROVIDER": environ.get("VORDER_SMS_PROVIDER", ""),
    }
    url = environ.get("VORDER_EMAIL_URL", "").strip()
    if url and not url.startswith("file:"):
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"VORDER_EMAIL_URL: unknown scheme '{parts.scheme}' (smtp, smtps)")
        ssl = parts.scheme == "smtps" or _flag(query.get("ssl"))
        result.update(
            EMAIL_BACKEND=SMTP_BACKEND,
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if ssl else 587 if _flag(query.get("tls")) else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=_flag(query.get("tls")) and not ssl,
            EMAIL_USE_SSL=ssl,
            EMAIL_TIMEOUT=int(query.get("timeout", 20)),
        )
    elif environ.get("EMAIL_HOST") and not url:
        result.update(
            EMAIL_BACKEND=SMTP_BACKEND,
            EMAIL_HOST=environ["EMAIL_HOST"],
            EMAIL_PORT=int(environ.get("EMAIL_PORT", 587)),
            EMAIL_HOST_USER=environ.get("EMAIL_HOST_USER", ""),
            EMAIL_HOST_PASSWORD=environ.get("EMAIL_HOST_PASSWORD", ""),
            EMAIL_USE_TLS=_flag(environ.get("EMAIL_USE_TLS", "1")),
            EMAIL_USE_SSL=_flag(environ.get("EMAIL_USE_SSL")),
        )
    else:
        result["EMAIL_BACKEND"] = EML_BACKEND
    return result
