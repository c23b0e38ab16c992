"""Django settings, all from the environment.

DATABASE_URL   default: SQLite file in the data folder (KECHUANG_DATA_DIR, default ./data)
SECRET_KEY     required when KECHUANG_PRODUCTION=1; otherwise generated once and kept in the data folder
DEBUG          off unless DEBUG=1
REDIS_URL      when set, background jobs use Redis (several workers); otherwise Huey on SQLite in the data folder
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("KECHUANG_DATA_DIR", PROJECT_ROOT / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("KECHUANG_PRODUCTION") == "1"
DEBUG = os.environ.get("DEBUG") == "1"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("生产模式（KECHUANG_PRODUCTION=1）必须设置环境变量 SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "kechuang.core.admin_site.KechuangAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "csp",
    "kechuang.core",
    "kechuang.accounts",
    "kechuang.carriers",
    "kechuang.enterprises",
    "kechuang.tiers",
    "kechuang.points",
    "kechuang.policies",
    "kechuang.rules",
    "kechuang.challenges",
    "kechuang.finance",
    "kechuang.chains",
    "kechuang.onestop",
    "kechuang.techtransfer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kechuang.core.client.ClientAddressMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kechuang.accounts.middleware.IdleTimeoutMiddleware",
    "kechuang.accounts.middleware.PasswordChangeRequiredMiddleware",
    "kechuang.accounts.middleware.AuditAdminMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kechuang.urls"
WSGI_APPLICATION = "kechuang.wsgi.application"

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
                "kechuang.core.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kechuang.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the job worker write while pages read; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# One authentication path for every way in (login page, the admin site, anything calling authenticate()):
# per-address throttle, per-account lockout and an audit event for each outcome. See docs/security.md.
AUTHENTICATION_BACKENDS = ["kechuang.accounts.backends.LockoutBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "kechuang.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "kechuang.accounts.passwords.CharacterClassValidator"},
    {"NAME": "kechuang.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "kechuang.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "kechuang.accounts.passwords.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout after repeated failed logins, per-address throttling, idle timeout (seconds); see accounts/.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("LOGIN_ADDRESS_MAX_FAILURES", "20"))
LOGIN_ADDRESS_WINDOW_SECONDS = int(os.environ.get("LOGIN_ADDRESS_WINDOW_SECONDS", "900"))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "1800"))
# A session ends when the browser closes, and in any case after SESSION_MAX_AGE seconds (default 12 hours).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MAX_AGE", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_FAILURE_VIEW = "kechuang.core.views.csrf_failure"
# API tokens: days valid when issued (default) and at most.
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))
# Audit records are kept at least this long (never under the 183-day floor of 等保2.0, see core/audit.py).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "365"))
# Reverse proxies in front of the app that append X-Forwarded-For (0: use the connecting address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# The Django admin site is off unless asked for; when on, it signs in through the same login page.
ADMIN_ENABLED = os.environ.get("KECHUANG_ADMIN") == "1"

# HTTPS in production: redirect, HSTS for a year (subdomains and preload included), secure cookies. Behind a
# TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so the proxy's X-Forwarded-Proto is believed.
SECURE_SSL_REDIRECT = PRODUCTION
# Load balancers probe the health check over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if os.environ.get("SECURE_PROXY_SSL_HEADER") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts only from this site or inline blocks carrying the page's nonce
# (`<script nonce="{{ request.csp_nonce }}">`), no inline event handlers. Styles allow inline because the
# templates and ECharts set style attributes; no script can run through them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["kechuang.formats"]  # ISO dates on every page (formats/zh_Hans)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("KECHUANG_STATIC_ROOT", PROJECT_ROOT / "staticfiles"))
# Front-end libraries come from npm at install time (package.json); never committed, never a CDN.
NODE_MODULES = PROJECT_ROOT / "node_modules"
# Only the files the pages load (core.finders.VendorFinder): static path → file under node_modules.
VENDOR_STATIC = {
    "vendor/htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
    "vendor/swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "vendor/swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kechuang.core.finders.VendorFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Imports above this many rows run as background jobs with progress.
IMPORT_BACKGROUND_ROWS = int(os.environ.get("IMPORT_BACKGROUND_ROWS", "300"))
# Exports above this many rows run as background jobs (core.exports) with progress and a download link. The
# demo's 37,436 firm-years took 47 s to export (about 1.3 s per 1,000 rows of the facts columns): up to 3,000 rows
# the file comes back within a few seconds, as a download should; beyond, the user watches progress instead.
EXPORT_BACKGROUND_ROWS = int(os.environ.get("EXPORT_BACKGROUND_ROWS", "3000"))
# How long such an export's file stays under the data folder for download (firms' data should not pile up there).
EXPORT_KEEP_DAYS = int(os.environ.get("EXPORT_KEEP_DAYS", "7"))
# How long an import preview's uploaded file is kept for its 确认导入 (and its rejected rows for download).
IMPORT_PREVIEW_HOURS = int(os.environ.get("IMPORT_PREVIEW_HOURS", "24"))

REDIS_URL = os.environ.get("REDIS_URL", "")
# What changed annual figures lead to, run as background jobs on commit by the service that changed them
# (core.consequences): (title, job function).
FACTS_CHANGED_CONSEQUENCES = [("数据变更后的监测预警", "kechuang.points.services.alerts_after_facts_job")]
# Several workers: a running job's heartbeat older than the lease means its worker died; it is queued again after
# JOB_RETRY_BASE_SECONDS, doubled per start, at most JOB_MAX_ATTEMPTS starts in all (core.jobs).
JOB_LEASE_SECONDS = float(os.environ.get("JOB_LEASE_SECONDS", "120"))
JOB_RETRY_BASE_SECONDS = float(os.environ.get("JOB_RETRY_BASE_SECONDS", "30"))
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))
HUEY = {
    "name": os.environ.get("HUEY_NAME", "kechuang"),  # the Redis key prefix: one per deployment sharing a Redis
    "immediate": os.environ.get("HUEY_IMMEDIATE") == "1",
    "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")})

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One line per record on stderr, for the process manager's journal: time, level, process, logger, message.
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # A 403 logs one line, not a traceback.
    "filters": {"denial_one_line": {"()": "kechuang.core.logging.DenialWithoutTraceback"}},
    "loggers": {"django.request": {"filters": ["denial_one_line"]}},
}
# Serve assets from the app folders and node_modules too, so a checkout works before collectstatic has run.
WHITENOISE_USE_FINDERS = True

# The diagnosis report's policy list: the points-based loan, the region profile's other loan products the firm
# qualifies or nearly qualifies for, and the firm's policy entitlements and near misses
# (the guarantee-fee waiver for last year's top 100 is one of them: a policy fed by the points results).
POINTS_POLICY_PROVIDERS = (
    "kechuang.points.policies.points_loan",
    "kechuang.finance.diagnosis.products",
    "kechuang.policies.diagnosis.entitlements",
)
# Policy inputs from the platform's own records (policies/loaders.py): loans → interest, balances, guarantee
# fees and risk compensation; points → last year's rank.
POLICY_FACT_PROVIDERS = (
    "kechuang.finance.loaders.policy_inputs",
    "kechuang.points.policies.policy_inputs",
)

# Records other apps post along an industry chain (technology needs, open challenges): dotted paths of
# `provider(chain, placed, user) -> list[dict]` (see kechuang.chains.selectors and docs/chains.md).
CHAIN_POST_PROVIDERS: tuple[str, ...] = (
    "kechuang.challenges.selectors.posts_along_chain",
    "kechuang.techtransfer.chainposts.posts_along_chain",
)
