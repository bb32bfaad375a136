"""Harken settings, read from the environment.

Every knob is an environment variable with a production-safe default; `HARKEN_DEBUG=1`
(set by `make demo` and the test suite) relaxes the few that only make sense in development.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from harken.core.env import env_bool, env_int, env_list, env_str, parse_email_url
from harken.core.queues import QUEUE_NAMES

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(env_str("HARKEN_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("HARKEN_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when HARKEN_DEBUG is off")
    SECRET_KEY = "harken-insecure-development-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its Swagger UI assets are served from our static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "harken.core",
    "harken.accounts",
    "harken.workspaces",
    "harken.customers",
    "harken.feedback",
    "harken.imports",
    "harken.triage",
    "harken.channels",
    "harken.notify",
    "harken.insight",
    "harken.roadmap",
    "harken.conversations",
    "harken.digests",
    "harken.portal",
    "harken.surveys",
    "harken.advocacy",
    "harken.scorecard",
    "harken.savedviews",
    "harken.demo",
]

MIDDLEWARE = [
    # First: one data-version read per request, shared by the auth memo and the response cache.
    "harken.core.memo.RequestScopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "harken.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "harken.core.middleware.RequestGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "harken.core.timezones.TimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "harken.urls"
WSGI_APPLICATION = "harken.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "harken.workspaces.context_processors.workspace",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'harken.sqlite3'}"),
        # Persistent connections: a new PostgreSQL connection per request costs several ms of both cores.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the worker share the file safely.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered GET responses (inbox, item page, API lists) are cached per process under the data version
# (harken/core/respcache.py); a write anywhere makes them stale at once. Off: HARKEN_RESPONSE_CACHE=0.
HARKEN_RESPONSE_CACHE = env_bool("HARKEN_RESPONSE_CACHE", True)
HARKEN_RESPONSE_CACHE_SECONDS = env_int("HARKEN_RESPONSE_CACHE_SECONDS", 60)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "harken-default"},
    "responses": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "harken-responses",
        "OPTIONS": {"MAX_ENTRIES": env_int("HARKEN_RESPONSE_CACHE_ENTRIES", 2000)},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["harken.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "hub:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # pages use the member's time zone, else the workspace's (harken.core.timezones)
# One way of writing dates everywhere: "Nov 30, 2026" and "Nov 30, 2026 15:57" (harken/formats/en).
FORMAT_MODULE_PATH = ["harken.formats"]
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # harken/static is not inside an app, so finders need it
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: CSV imports may be large (50 MB+); files over the memory limit spill to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
HARKEN_MAX_IMPORT_BYTES = env_int("HARKEN_MAX_IMPORT_BYTES", 200 * 1024 * 1024)

EMAIL_URL = env_str("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
globals().update(parse_email_url(EMAIL_URL))
HARKEN_INBOUND_DOMAIN = env_str("HARKEN_INBOUND_DOMAIN", "")  # feedback+<workspace>@<this domain>
HARKEN_MAIL_MAX_BYTES = env_int("HARKEN_MAIL_MAX_BYTES", 25 * 1024 * 1024)
HARKEN_MAIL_MAX_ATTACHMENT_BYTES = env_int("HARKEN_MAIL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
HARKEN_WIDGET_RATE_PER_MINUTE = env_int("HARKEN_WIDGET_RATE_PER_MINUTE", 10)
# Outbound fetches of user-given URLs (feeds) refuse non-public addresses; list intranet CIDRs to allow.
HARKEN_FETCH_ALLOWED_NETWORKS = env_list("HARKEN_FETCH_ALLOWED_NETWORKS")

# Ideas portal rate limits: "count/seconds" per client IP and per signed-in portal user.
HARKEN_PORTAL_RATES = {
    "idea": env_str("HARKEN_PORTAL_RATE_IDEA", "5/600"),
    "comment": env_str("HARKEN_PORTAL_RATE_COMMENT", "20/600"),
    "vote": env_str("HARKEN_PORTAL_RATE_VOTE", "60/600"),
    "signin": env_str("HARKEN_PORTAL_RATE_SIGNIN", "5/3600"),
    "similar": env_str("HARKEN_PORTAL_RATE_SIMILAR", "120/60"),
}
HARKEN_TRUST_X_FORWARDED_FOR = env_bool("HARKEN_TRUST_X_FORWARDED_FOR", False)  # only behind a proxy you run
# `harken serve` (waitress) honours X-Forwarded-* only from this proxy address ("*" = any peer);
# unset, it strips them, so behind a TLS proxy every request would look like plain HTTP.
HARKEN_TRUSTED_PROXY = env_str("HARKEN_TRUSTED_PROXY", "")
HARKEN_TRUSTED_PROXY_COUNT = env_int("HARKEN_TRUSTED_PROXY_COUNT", 1)
HARKEN_TRUSTED_PROXY_HEADERS = env_list("HARKEN_TRUSTED_PROXY_HEADERS", "x-forwarded-proto,x-forwarded-for")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Harken <harken@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Insight: which embedder computes vectors (minilm-int8 | minilm | minilm-static | hashing), up to
# how many items per workspace similarity search stays exact before switching to the IVF index,
# and where IVF index files are kept (default DATA_DIR/indexes; one folder per database and workspace).
HARKEN_EMBEDDER = env_str("HARKEN_EMBEDDER", "minilm-int8")
HARKEN_EXACT_INDEX_MAX = env_int("HARKEN_EXACT_INDEX_MAX", 100_000)
HARKEN_INDEX_DIR = env_str("HARKEN_INDEX_DIR", "")

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "harken.core.backends.PriorityDatabaseBackend"),
        "QUEUES": QUEUE_NAMES,  # mail, webhooks, default, insight, bulk: see harken/core/queues.py
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-tasks logs every task start and finish at INFO (a periodic job every minute: noise);
        # failures still come through at ERROR, and each task logs what it actually did.
        "django_tasks": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd (`harken mail-in`) logs every SMTP line at INFO
    },
}
