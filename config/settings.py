"""Guichet Cloud settings: one file, read from the environment.

Every value comes from an environment variable with a safe default for local
work. A malformed value stops the process with a message naming the variable,
rather than running with a silently different configuration.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_decimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a decimal number") from None
    if not value.is_finite() or value < 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must be a non-negative number")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A deployment sets DATABASE_URL and so defaults to production mode. Local
# work runs through the launcher (make run/test, manage.py), which starts the
# embedded PostgreSQL and says DJANGO_DEBUG=1 when it does; with no database
# at all (tools that only read settings: the type checker) debug mode too.
DEBUG = env_bool("DJANGO_DEBUG", not os.environ.get("DATABASE_URL"))
# Said by the launcher's test command (make test), never guessed.
TESTING = env_bool("GUICHET_TESTING", False)

_INSECURE_KEY = "insecure-local-development-key-never-use-in-production-0123456789"
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
            "(make run sets DJANGO_DEBUG=1 for local work)"
        )
    SECRET_KEY = _INSECURE_KEY
elif len(SECRET_KEY) < 50 and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# A trusted reverse proxy in front (TLS termination): it appends the address
# of its client to X-Forwarded-For and states the scheme in
# X-Forwarded-Proto. Off (the default), both headers are the client's own
# words and nothing reads them: the address is the connection's. This one
# setting drives the three readers together: the API's throttles (DRF's
# NUM_PROXIES), the sign-in lockout (django-axes through django-ipware) and
# request.is_secure() (SECURE_PROXY_SSL_HEADER). One proxy exactly: behind
# a chain of them, the right-most hop would be the inner proxy's.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dsfr",
    # django-dsfr's radio and checkbox snippets load its template tags.
    "widget_tweaks",
    "django_htmx",
    "axes",
    "core",
    "catalog",
    "tenders",
    "broker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET answer and 304 on a matching If-None-Match: API
    # clients re-fetch details without re-downloading them.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it answers a locked-out login attempt with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dsfr.context_processors.site_config",
                "config.context_processors.frame",
            ],
        },
    },
]

# --------------------------------------------------------------------------
# Services: PostgreSQL and Redis, from their URLs. Settings start nothing:
# the launcher (make run/test, manage.py, config/launcher.py) starts the
# embedded ones when these are unset and hands their URLs on. Unset here
# means no server at all — enough for what only reads settings (the type
# checker, collectstatic in the image build); a query then fails with
# Django's "settings.DATABASES is improperly configured".

import dj_database_url  # noqa: E402

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")

WEB_PROCESS = env_bool("GUICHET_WEB_PROCESS", False)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 30000, minimum=0)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 5000, minimum=0)
DATABASES = {}
if DATABASE_URL:
    try:
        DATABASES["default"] = dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must point to PostgreSQL (postgres:// or postgresql://)"
        )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # One stuck query or lock cannot take the site down: web processes give
    # up on a statement after DB_STATEMENT_TIMEOUT_MS and on a lock wait after
    # DB_LOCK_TIMEOUT_MS. Only web processes: config/wsgi.py and config/asgi.py
    # set GUICHET_WEB_PROCESS before loading these settings, so Celery workers,
    # beat and management commands (migrations, seeding, bench) run unbounded.
    if WEB_PROCESS:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={DB_LOCK_TIMEOUT_MS}"
        )
    DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", "test_guichet")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or redis+socket:// URL")


def _redis_py_url(url: str) -> str:
    """redis-py spells Celery's redis+socket:// URLs as unix://."""
    if url.startswith("redis+socket://"):
        path, _, query = url.removeprefix("redis+socket://").partition("?")
        db = "0"
        for part in query.split("&"):
            if part.startswith("virtual_host="):
                db = part.split("=", 1)[1]
        return f"unix://{path}?db={db}"
    return url


REDIS_PY_URL = _redis_py_url(REDIS_URL)
CACHES = {
    "default": {
        # Redis down must not turn every request into a 500 (throttling
        # reads the cache): config.cache logs and answers "not cached".
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": REDIS_PY_URL,
        "KEY_PREFIX": "guichet-test" if TESTING else "guichet",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --------------------------------------------------------------------------
# Celery

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only once done, and redelivered if its worker dies:
# assessments and matching are idempotent, so running twice is harmless and
# running never is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With Redis as the broker, a message taken by a worker that then dies
# (SIGKILL, power loss) is handed to another worker only once it has been
# unacknowledged for this long: it must exceed the longest task, ETA and
# countdown included (webhook retries), or a live task runs twice.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often a worker looks for such abandoned messages.
    "unacked_restore_interval": min(10, max(1, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
    # Sending a task while Redis is down gives up after about a second
    # instead of retrying for ever inside a web request: the caller logs it
    # and a sweeper sends the work later (broker.services.enqueue_after_commit).
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Nothing reads a task's return value (tasks report through rows): not
# storing it also spares each send a subscription to the result channel.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# make run and compose give beat its file (-s); this is for a bare `celery beat`.
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")

# --------------------------------------------------------------------------
# Auth, i18n, static

# django-axes first: a locked-out username + address is refused before any
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
# Per username *and* address: an attacker cannot lock a person out from
# everywhere, and one address cannot try every username either without
# being locked per username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The page above for the sign-in form, the API's error format (with
# Retry-After) for the token endpoint.
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_VERBOSE = False
# The address of a sign-in attempt: the connection's, or behind the proxy
# the right-most X-Forwarded-For entry, the one the proxy appended. In
# django-ipware's terms the chain then ends with the client and holds no
# proxy (count 0: the proxy itself is REMOTE_ADDR), and it is not strict,
# so that entries a client wrote to the left are skipped rather than making
# the whole header void. (ipware's default, left-most, would take them.)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if BEHIND_PROXY else ["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_PROXY_COUNT = 0 if BEHIND_PROXY else None
IPWARE_STRICT = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # Every test user gets a password; the production hasher spends about
    # half a second on each, on purpose.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "fr"
LOGIN_URL = "login"
# The State design system marks optional fields rather than required ones.
DSFR_MARK_OPTIONAL_FIELDS = True
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Local work and tests serve static files straight from the apps (no
# collectstatic step); production serves the collected, hashed copies.
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / ".data" / "static")))
MEDIA_URL = "media/"
# The tests' files apart from those of `make run` (the audit anchors of one
# database must not be read as those of the other).
MEDIA_ROOT = Path(
    env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / ("test-media" if TESTING else "media")))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Guichet Cloud <ne-pas-repondre@guichet-cloud.example>"
)

# --------------------------------------------------------------------------
# Security (production passes `manage.py check --deploy` with no warning)

SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP by the orchestrator inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp 4). Scripts only from this origin or
# carrying the request's nonce (django-dsfr's `dsfr_js`): no inline script
# runs. Styles: the DSFR and our CSS files only; htmx's indicator <style>
# is switched off in base.html (docs/security.md lists what was measured).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Powerful browser features this site never uses (config.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# --------------------------------------------------------------------------
# REST API

# Requests per API key (broker.throttling.ApiKeyRateThrottle reads it at
# each request).
API_THROTTLE_KEY = env_str("API_THROTTLE_KEY", "1000000/hour" if TESTING else "3000/minute")

# The largest JSON body the API reads (413 beyond). The largest real one, a
# tender with its requirements, is a few kB; uploads are bounded apart
# (EVIDENCE_MAX_BYTES).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)

# A member's token (``Authorization: Token <key>``, broker.models.ApiToken)
# works this long after it is issued (30 days by default).
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 720, minimum=1)

REST_FRAMEWORK = {
    # An organisation's API key (``Authorization: Api-Key <key>``) first, then
    # a member's token: each scheme answers a missing or bad credential with 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "broker.authentication.ApiKeyAuthentication",
        "broker.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "config.api.DefaultCursorPagination",
    # JSON bounded in size and depth (config/parsers.py); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 20, minimum=1),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # Anonymous callers by address, users by account, API keys by key (a
    # request made with a key counts against the key, not its creator).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "broker.throttling.UserRateThrottle",
        "broker.throttling.ApiKeyRateThrottle",
    ],
    # The anonymous throttle's address: REMOTE_ADDR (0), or behind the proxy
    # the right-most X-Forwarded-For entry (1). Unset, DRF would key it on the
    # whole client-supplied header: a new header, a new bucket.
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "100000/hour" if TESTING else "600/minute"),
        "user": env_str("API_THROTTLE_USER", "100000/hour" if TESTING else "1200/minute"),
        "api_key": API_THROTTLE_KEY,
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Guichet Cloud API",
    "DESCRIPTION": (
        "Sovereign cloud procurement window for French and European public bodies: "
        "catalogue of offers with explained eligibility per data-sensitivity level."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The one error body (config/api.py) on every operation, for the codes it can answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.error_responses",
        "config.openapi.body_examples",
        "config.openapi.workflow_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OfferStatusEnum": "catalog.models.OfferStatus",
        "CertificationStatusEnum": "catalog.models.CertificationStatus",
        "ProviderStatusEnum": "catalog.models.ProviderStatus",
        "CertificationVerificationEnum": "catalog.models.CertificationVerification",
        "ApiKeyScopesEnum": "broker.models.ApiKeyScopes",
        "WebhookDeliveryStatusEnum": "broker.models.DeliveryStatus",
        "OrganisationKindEnum": ["provider", "agency"],
        "AttestationKindEnum": "catalog.models.AttestationKind",
    },
}

# --------------------------------------------------------------------------
# Product

VAT_RATE = env_decimal("VAT_RATE", "0.20")
DEMO_DATA = env_bool("GUICHET_DEMO_DATA", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # Nightly: certificates past their date stop counting, offers re-assessed.
    "certifications-expire": {
        "task": "broker.tasks.certifications_expire",
        "schedule": crontab(hour=1, minute=5),
    },
}

# --------------------------------------------------------------------------
# Procurement (DESIGN §4). Thresholds in EUR excl. VAT: below the first, a
# direct purchase ("dispense de procédure", Code de la commande publique
# R2122-8); below the second, an adapted procedure (R2123-1); above, an open
# procedure (EU threshold for central government supply and services).
DIRECT_PURCHASE_THRESHOLD = env_decimal("DIRECT_PURCHASE_THRESHOLD", "40000")
ADAPTED_PROCEDURE_THRESHOLD = env_decimal("ADAPTED_PROCEDURE_THRESHOLD", "140000")
if ADAPTED_PROCEDURE_THRESHOLD < DIRECT_PURCHASE_THRESHOLD:
    raise ImproperlyConfigured(
        "ADAPTED_PROCEDURE_THRESHOLD must not be below DIRECT_PURCHASE_THRESHOLD"
    )
# Minimum time between publication and the response deadline.
TENDER_MIN_RESPONSE_HOURS = env_int("TENDER_MIN_RESPONSE_HOURS", 24 * 7, minimum=0)
TENDER_REFERENCE_PREFIX = env_str("TENDER_REFERENCE_PREFIX", "GC")
# Essential procurement data (DECP 2.0.3): every contract at or above this
# amount, EUR excl. VAT, is published (Code de la commande publique R2196-1).
DECP_THRESHOLD = env_decimal("DECP_THRESHOLD", "40000")
# Open contracting (OCDS 1.1): every ocid is this prefix + "-" + the tender
# reference. The six characters after "ocds-" are issued to a publisher by
# the Open Contracting Partnership; the default is a placeholder.
import re  # noqa: E402

OCDS_OCID_PREFIX = env_str("OCDS_OCID_PREFIX", "ocds-gc0000")
if not re.fullmatch(r"ocds-[a-z0-9]{6}", OCDS_OCID_PREFIX):
    raise ImproperlyConfigured(
        f"OCDS_OCID_PREFIX={OCDS_OCID_PREFIX!r} must be 'ocds-' and six lower-case letters or digits"
    )
# Supplier declarations (DUME) stay valid this long after their signature;
# providers hear of a declaration or attestation expiring within the window.
SUPPLIER_DECLARATION_VALIDITY_MONTHS = env_int(
    "SUPPLIER_DECLARATION_VALIDITY_MONTHS", 12, minimum=1
)
SUPPLIER_DOCUMENTS_WARNING_DAYS = env_int("SUPPLIER_DOCUMENTS_WARNING_DAYS", 30, minimum=1)
# Standstill between the award decision and the contract's signature
# (« délai de suspension », Code de la commande publique R2182-1: 11 days
# when the decision is sent electronically).
STANDSTILL_DAYS = env_int("STANDSTILL_DAYS", 11, minimum=0)
CELERY_BEAT_SCHEDULE["supplier-documents-warn-expiry"] = {
    "task": "broker.tasks.supplier_documents_warn_expiry",
    "schedule": crontab(hour=7, minute=10),
}
CELERY_BEAT_SCHEDULE["tenders-close-due"] = {
    "task": "broker.tasks.tenders_close_due",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["certifications-warn-expiry"] = {
    "task": "broker.tasks.certifications_warn_expiry",
    "schedule": crontab(hour=7, minute=0),
}
# Sweeper: a published tender whose matching stayed queued (Redis down at
# publication: the tender row itself is the outbox) or died running, this
# long ago, is matched again; the beat looks every MATCHING_SWEEP_SECONDS.
MATCHING_STALE_AFTER_SECONDS = env_int("MATCHING_STALE_AFTER_SECONDS", 120, minimum=1)
MATCHING_SWEEP_SECONDS = env_int("MATCHING_SWEEP_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE["tenders-match-stale"] = {
    "task": "broker.tasks.tenders_match_stale",
    "schedule": float(MATCHING_SWEEP_SECONDS),
}

# --------------------------------------------------------------------------
# Webhooks (broker.webhooks, docs/webhooks.md). Deliveries go to public
# addresses only: private, loopback, link-local, multicast and reserved
# ones are refused at registration and at each send (SSRF), unless this is
# on (tests use a receiver on 127.0.0.1; never in production).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# The first retry waits this long, each next one twice as long (broker.webhooks.backoff).
WEBHOOK_BACKOFF_BASE_SECONDS = env_int("WEBHOOK_BACKOFF_BASE_SECONDS", 30, minimum=1)
# Sweeper: re-sends pending deliveries whose retry task was lost.
CELERY_BEAT_SCHEDULE["webhooks-retry-due"] = {
    "task": "broker.tasks.webhooks_retry_due",
    "schedule": 60.0,
}
# Daily digest of the agencies' open sourcing files (new offers, lost eligibility).
CELERY_BEAT_SCHEDULE["sourcing-files-digest"] = {
    "task": "broker.tasks.sourcing_files_digest",
    "schedule": crontab(hour=7, minute=15),
}

# --------------------------------------------------------------------------
# Audit anchors (broker/services/anchors.py, docs/security.md §4): the head
# of the audit chain published daily as a signed file under the media
# storage and in the open data. Signed (HMAC-SHA256) with AUDIT_ANCHOR_KEY,
# else with a key derived from SECRET_KEY. Set it in production and keep a
# copy apart from the database: `python -m broker.audit_offline` needs it.
AUDIT_ANCHOR_KEY = env_str("AUDIT_ANCHOR_KEY")
if AUDIT_ANCHOR_KEY and len(AUDIT_ANCHOR_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured("AUDIT_ANCHOR_KEY must be at least 32 characters in production")
# A second run the same day changes nothing: the day's first anchor stays.
CELERY_BEAT_SCHEDULE["audit-anchor-publish"] = {
    "task": "broker.tasks.audit_anchor_publish",
    "schedule": crontab(hour=0, minute=20),
}
