"""Django wiring for vorder. Every knob comes from the environment; the defaults run on a laptop.

VORDER_DATA_DIR  where the SQLite file, the outbox and uploaded documents live (default ./var)
DATABASE_URL     overrides the database (postgres://user@host:5432/name)
VORDER_SECRET_KEY, VORDER_DEBUG, VORDER_ALLOWED_HOSTS, VORDER_TASK_BACKEND
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("VORDER_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for (``make run`` asks, for the laptop demo): debug mode shows internals on
# error pages and logs every query, which also makes bulk commands slow (on SQLite each logged
# statement is quoted by a second query).
DEBUG = os.environ.get("VORDER_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("VORDER_SECRET_KEY", "")
if not SECRET_KEY:
    # A per-installation key, generated once and kept beside the data, so a laptop install
    # never runs with a key that is published in the repository.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = os.environ.get("VORDER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the Swagger UI of /api/docs from local static files, not a CDN
    "vorder.common",
    "vorder.ledger",
    "vorder.comms",
    "vorder.cases",
    "vorder.banking",
    "vorder.banking.directdebit",
    "vorder.dunning",
    "vorder.api",
    "vorder.workspace",
    "vorder.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vorder.common.language.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vorder.common.audit.AuditActorMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'vorder.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:dashboard"
LOGOUT_REDIRECT_URL = "workspace:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "src" / "vorder" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "documents"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("VORDER_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Email: SMTP from VORDER_EMAIL_URL (or EMAIL_HOST…), else .eml files in $VORDER_DATA_DIR/outbox
# (see vorder.comms.email_config and docs/comms.md).
from vorder.comms.email_config import email_settings_from_env  # noqa: E402

globals().update(email_settings_from_env(os.environ, DATA_DIR))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VORDER_LOG_LEVEL", "WARNING")},
}

# The worklist's covering index includes two columns on PostgreSQL only; SQLite builds the same
# index without them, which is what we want, so its warning on every command is noise.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
