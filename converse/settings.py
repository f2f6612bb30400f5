"""Converse settings, read from environment variables with safe local defaults.

With nothing set, Converse runs on a SQLite file and Celery's filesystem broker under
``var/`` and sends through the built-in simulator, so a fresh checkout works offline.
"""

import hmac
from datetime import timedelta
from pathlib import Path

import dj_database_url
from kombu import Exchange, Queue

from .env import env_bool, env_int, env_list, env_str, public_base_url_default
from .shared_cache import file_cache, redis_cache

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CONVERSE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: a deployment that forgets it must not run in debug with a known key.
# ``make run`` sets DEBUG=1; the tests use ``tests/settings.py``.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-local-development-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "inbox",
    "campaigns",
    "automation",
    "channels_twilio",
    "channels_sms",
    "channels_whatsapp",
    "channels_email",
    "channels_webchat",
    "simulator",
]

MIDDLEWARE = [
    "converse.metrics.RequestMetricsMiddleware",
    # Outside everything that may answer by itself (static files, 413, 400, CSRF): every
    # response carries the CSP and the Permissions-Policy.
    "converse.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "converse.security.RequestSizeLimitMiddleware",
    "converse.security.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "inbox.middleware.HtmxVaryMiddleware",
    "inbox.middleware.UserTimeZoneMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "converse.urls"
WSGI_APPLICATION = "converse.wsgi.application"

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
                "inbox.context_processors.converse",
                "campaigns.context_processors.campaigns",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, a SQLite file by default.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'converse.sqlite3'}")
# Under an ASGI server each request runs in a thread of its own: give its connection back
# when it ends (DATABASE_CONN_MAX_AGE=0) rather than keep one open per finished thread.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write the same file: WAL, IMMEDIATE transactions and
    # a busy timeout keep "database is locked" away.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis")) and (
    env_str("DATABASE_JIT", "off") == "off"
):
    # No JIT compilation: PostgreSQL compiles any plan that costs enough on paper, and for a
    # page's count over a busy agent's 66,000 conversations (ten million messages) that
    # added 116 ms to a 370 ms query. Options in DATABASE_URL come after, and win;
    # DATABASE_JIT=server sends nothing (a pooler that refuses startup options).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"-c jit=off {_options.get('options', '')}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "inbox.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:my_inbox"
LOGOUT_REDIRECT_URL = "login"
# Applied where a person chooses a password (password change and reset forms, the admin,
# createsuperuser); the demo users of seed_demo keep their short passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "converse.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one
# username, or from one address, that username or address is refused for
# LOGIN_LOCKOUT_MINUTES; a successful sign-in clears the account's failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "converse.auth.client_network"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Mail, for password reset: /accounts/password_reset/ is routed only when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "") or "converse@localhost"
PASSWORD_RESET_ENABLED = bool(EMAIL_HOST)
# Without a mail server (the demo) mail is written to the worker's terminal.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
# Reset mails per e-mail address and per client address in the window (converse.password_reset).
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)
PASSWORD_RESET_WINDOW_MINUTES = env_int("PASSWORD_RESET_WINDOW_MINUTES", 60)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Chart.js for the reports page, from npm (``make install``); never committed.
if (BASE_DIR / "node_modules" / "chart.js" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"))
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# Only a proxy that sets X-Forwarded-Proto itself (and strips the client's) may be trusted
# with it; otherwise any client could claim HTTPS. Opt in with BEHIND_PROXY=1.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The external URL of this deployment: Twilio signs webhooks with it, and password reset
# mails link to it (never to the Host a request names). Unset: the first host name in
# ALLOWED_HOSTS over HTTPS, or http://127.0.0.1:8000 when that is a local one.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "").rstrip("/") or public_base_url_default(
    ALLOWED_HOSTS
)
# Sent on HTTPS responses only. On by default (a year) when PUBLIC_BASE_URL is HTTPS; set
# 0 to turn it off, or start small (300) while trying HTTPS out.
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 31536000 if PUBLIC_BASE_URL.startswith("https://") else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
X_FRAME_OPTIONS = "DENY"
# Our own scripts and styles only: no inline code, no eval (htmx is configured for it in
# templates/base.html). Images may be data: URLs (previews of files being attached).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()"
)

REDIS_URL = env_str("REDIS_URL", "")
# The default cache stays in each process (unread counts, read marks, the fallbacks of
# presence and of the reset throttle: pages work on with Redis down). "shared" is one store
# for the web processes and the workers, where the computed reports and the password reset
# counts live: Redis when
# REDIS_URL is set, else files under var/ (one machine, as `make run`).
CACHES = {
    # Per process: each user's kept unread counts and drawn navigation (``inbox.
    # selectors.unread_tally``), so room for every user of a busy organisation.
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
    "shared": redis_cache(REDIS_URL, prefix="converse")
    if REDIS_URL
    else file_cache(str(VAR_DIR / "shared-cache")),
}
# Reports (F-RP1): computed figures are current this long (the page says as of when); older
# ones are shown for REPORTS_STALE_SECONDS more while a worker computes them again. Beat
# computes today, 7 days and 30 days in each admin's time zone every REPORTS_WARM_SECONDS
# (0: never), so those stay current.
REPORTS_CACHE_SECONDS = env_int("REPORTS_CACHE_SECONDS", 120)
REPORTS_STALE_SECONDS = env_int("REPORTS_STALE_SECONDS", 900)
REPORTS_WARM_SECONDS = env_int("REPORTS_WARM_SECONDS", 60)

# Celery: Redis when REDIS_URL/CELERY_BROKER_URL is set, else a filesystem broker under var/.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    # Kombu's own, but a message is renamed into place whole (see the module).
    CELERY_BROKER_TRANSPORT = "converse.filesystem_broker:Transport"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A task a worker took and never acknowledged (the worker was killed) is delivered again
    # after this many seconds; a task with a countdown longer than that may run twice, which
    # the claims make harmless. Recovery does not wait for it: the sweeps below find the work.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("BROKER_VISIBILITY_TIMEOUT_SECONDS", 900),
        "socket_connect_timeout": 2,
    }
# A publish gives up after this many seconds of not reaching the broker (then the sweep sends).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Keep a worker thread's database connection for this many tasks (checked before each one,
# see converse/celery.py) instead of connecting anew for every task.
CELERY_DB_REUSE_MAX = 1000
# Customer messages have their own queue, so a backlog of sends or exports never delays
# them; a plain worker consumes both, ``-Q inbound`` makes one that only ingests.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("default", "inbound")
]
CELERY_TASK_ROUTES = {"channels_twilio.tasks.ingest_inbound": {"queue": "inbound"}}
# Recovery after a lost task or a killed worker (see README, "Operations"):
# how often beat runs the two sweeps, the stuck-send and the unrouted-inbound one;
RECOVERY_SWEEP_SECONDS = env_int("RECOVERY_SWEEP_SECONDS", 5)
CAMPAIGN_FIGURES_SECONDS = env_int("CAMPAIGN_FIGURES_SECONDS", 2)
# a send still queued, unclaimed, this long after it was due is queued again;
STUCK_MESSAGE_AFTER_SECONDS = env_int("STUCK_MESSAGE_AFTER_SECONDS", 15)
# a send claimed this long ago and not finished lost its worker (keep it above twice
# TWILIO_HTTP_TIMEOUT: a live worker may spend a look-up and a create on it);
SEND_CLAIM_LEASE_SECONDS = env_int("SEND_CLAIM_LEASE_SECONDS", 20)
# an inbound payload still unrouted this long after it came gets a drain queued;
INBOUND_SWEEP_AFTER_SECONDS = env_int("INBOUND_SWEEP_AFTER_SECONDS", 10)
# an inbound payload claimed this long ago and not routed lost its worker.
INBOUND_CLAIM_LEASE_SECONDS = env_int("INBOUND_CLAIM_LEASE_SECONDS", 15)
# Readiness (GET /readyz, see README, "Operations"): a worker records a heartbeat this often,
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15)
# and the view answers 503 when the oldest unrouted inbound message, the oldest send waiting
# for a worker, or the newest heartbeat is older than these.
READY_MAX_INBOUND_AGE_SECONDS = env_int("READY_MAX_INBOUND_AGE_SECONDS", 60)
READY_MAX_SEND_AGE_SECONDS = env_int("READY_MAX_SEND_AGE_SECONDS", 120)
READY_MAX_HEARTBEAT_AGE_SECONDS = env_int("READY_MAX_HEARTBEAT_AGE_SECONDS", 60)
# Monitoring reads /readyz and /metrics with "Authorization: Bearer <this>" (or an admin's
# session); empty: admins only.
OPERATIONS_TOKEN = env_str("OPERATIONS_TOKEN", "")
# Waiting states change with the clock alone: a tick this often redraws them live.
SERVICE_LEVEL_TICK_SECONDS = env_int("SERVICE_LEVEL_TICK_SECONDS", 30)
# E-mail (README, "E-mail"): the mail watcher holds an IMAP IDLE connection per mailbox whose
# server offers it; beat polls the others every MAILBOX_POLL_SECONDS. Their passwords
# are encrypted with MAILBOX_KEYS (Fernet keys, comma-separated, the first encrypting;
# without them a key derived from SECRET_KEY).
MAILBOX_KEYS = env_str("MAILBOX_KEYS", "")
MAILBOX_POLL_SECONDS = env_int("MAILBOX_POLL_SECONDS", 5)
MAILBOX_TIMEOUT_SECONDS = env_int("MAILBOX_TIMEOUT_SECONDS", 20)
# A worker reading a mailbox holds it this long (renewed after each batch of mails).
MAILBOX_READ_LEASE_SECONDS = env_int("MAILBOX_READ_LEASE_SECONDS", 120)
# The watcher IDLEs again this often (RFC 2177: within 29 minutes), reading in between.
MAILBOX_IDLE_SECONDS = env_int("MAILBOX_IDLE_SECONDS", 300)
# A watcher holds a mailbox this long, renewed every third of it: one that died loses it.
MAILBOX_WATCH_LEASE_SECONDS = env_int("MAILBOX_WATCH_LEASE_SECONDS", 60)
# A server that did not offer IDLE is asked again after this (its mailbox polled meanwhile).
MAILBOX_IDLE_RETRY_SECONDS = env_int("MAILBOX_IDLE_RETRY_SECONDS", 600)

CELERY_BEAT_SCHEDULE: dict = {
    "recover-stuck-messages": {
        "task": "inbox.tasks.recover_stuck_messages",
        "schedule": float(RECOVERY_SWEEP_SECONDS),
    },
    # Behind each held message's own task: releases what a lost task or a stopped worker
    # left waiting past its opening.
    "release-due-held-messages": {
        "task": "inbox.tasks.release_due_held_messages",
        "schedule": 30.0,
    },
    # A PDF transcript asked for while the broker was down is queued again.
    "requeue-waiting-transcripts": {
        "task": "inbox.tasks.requeue_waiting_transcripts",
        "schedule": 60.0,
    },
    "requeue-lost-contact-imports": {
        "task": "inbox.tasks.requeue_lost_contact_imports",
        "schedule": 60.0,
    },
    "requeue-unprocessed-webhooks": {
        "task": "channels_twilio.tasks.requeue_unprocessed_webhooks",
        "schedule": float(RECOVERY_SWEEP_SECONDS),
    },
    "forget-processed-webhooks": {
        "task": "channels_twilio.tasks.forget_processed_webhooks",
        "schedule": 3600.0,
    },
    "read-mailboxes": {
        "task": "channels_email.tasks.read_mailboxes",
        "schedule": float(MAILBOX_POLL_SECONDS),
    },
    "fetch-missing-media": {"task": "channels_twilio.tasks.fetch_missing_media", "schedule": 600.0},
    "automation-unanswered": {"task": "automation.tasks.sweep_unanswered", "schedule": 60.0},
    "auto-close-conversations": {
        "task": "inbox.tasks.auto_close_conversations",
        "schedule": 300.0,
    },
    "forget-early-statuses": {"task": "inbox.tasks.forget_early_statuses", "schedule": 3600.0},
    # The report's per-agent counts of reassigned conversations move to the new owner (the
    # report adds what is not moved yet, so this only keeps that part small).
    "settle-report-tallies": {"task": "inbox.tasks.settle_report_tallies", "schedule": 60.0},
    # Snoozed conversations come back within this many seconds of their time (F-CO3).
    "wake-snoozed-conversations": {
        "task": "inbox.tasks.wake_snoozed_conversations",
        "schedule": float(env_int("SNOOZE_WAKE_SECONDS", 30)),
    },
    "sync-whatsapp-templates": {
        "task": "channels_whatsapp.tasks.sync_templates",
        "schedule": 3600.0,
    },
    # Campaigns start at their time and release their sends at their sender IDs' pace.
    "release-campaigns": {
        "task": "campaigns.tasks.release_campaigns",
        "schedule": float(env_int("CAMPAIGN_RELEASE_SECONDS", 15)),
    },
    # A campaign's page figures are counted again within this many seconds of a change.
    "campaign-figures": {
        "task": "campaigns.tasks.refresh_campaign_figures",
        "schedule": float(CAMPAIGN_FIGURES_SECONDS),
    },
    "worker-heartbeat": {
        "task": "inbox.tasks.worker_heartbeat",
        "schedule": float(WORKER_HEARTBEAT_SECONDS),
    },
    "service-level-tick": {
        "task": "inbox.tasks.service_level_tick",
        "schedule": float(SERVICE_LEVEL_TICK_SECONDS),
    },
}
if REPORTS_WARM_SECONDS:
    CELERY_BEAT_SCHEDULE["warm-reports"] = {
        "task": "inbox.tasks.warm_reports",
        "schedule": float(REPORTS_WARM_SECONDS),
    }
CELERY_TIMEZONE = "UTC"

# Twilio. No credentials: the built-in simulator answers for every channel.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
# Seconds to wait for Twilio's API before treating a call as timed out (then retried).
TWILIO_HTTP_TIMEOUT = float(env_str("TWILIO_HTTP_TIMEOUT", "8"))
# Largest media file fetched from Twilio for an inbound MMS/WhatsApp message.
TWILIO_MEDIA_MAX_BYTES = env_int("TWILIO_MEDIA_MAX_BYTES", 20 * 1024 * 1024)
CONVERSE_PROVIDER = "twilio" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN else "simulator"
# Adapters by channel, looked up by import path so the inbox never imports a channel app.
CONVERSE_CHANNEL_ADAPTERS = {
    "twilio": {
        "sms": "channels_sms.adapter.TwilioSmsAdapter",
        "whatsapp": "channels_whatsapp.adapter.TwilioWhatsAppAdapter",
        "email": "channels_email.adapter.SmtpAdapter",
        "webchat": "channels_webchat.adapter.WebChatAdapter",
    },
    "simulator": {
        "sms": "simulator.adapter.SimulatorAdapter",
        "whatsapp": "simulator.adapter.SimulatorAdapter",
        "email": "channels_email.adapter.SmtpAdapter",
        "webchat": "channels_webchat.adapter.WebChatAdapter",
    },
}[CONVERSE_PROVIDER]
# Web chat: a visitor whose widget has not asked for news this long has left (replies then
# go by e-mail when they agreed); the widget asks every few seconds while its page is open.
WEBCHAT_ONLINE_SECONDS = env_int("WEBCHAT_ONLINE_SECONDS", 30)
# Rate limits of the widget's endpoints (django-ratelimit, counted in the shared cache).
RATELIMIT_USE_CACHE = "shared"
WEBCHAT_RATE_START = env_str("WEBCHAT_RATE_START", "20/h")
WEBCHAT_RATE_WRITE = env_str("WEBCHAT_RATE_WRITE", "20/m")
WEBCHAT_RATE_ADDRESS = env_str("WEBCHAT_RATE_ADDRESS", "300/m")
WEBCHAT_RATE_TYPING = env_str("WEBCHAT_RATE_TYPING", "30/m")
# Opening the live stream, per visitor (a tab reconnects after a drop, waiting longer each
# time it fails; past this the chat asks for news every few seconds instead).
WEBCHAT_RATE_STREAM = env_str("WEBCHAT_RATE_STREAM", "20/m")
# Files are kept and each is a message in the inbox: tighter, per visitor and per address.
WEBCHAT_RATE_FILES_VISITOR = env_str("WEBCHAT_RATE_FILES_VISITOR", "10/h")
WEBCHAT_RATE_FILES_ADDRESS = env_str("WEBCHAT_RATE_FILES_ADDRESS", "30/h")
# Seconds between the simulator's status reports (sent, delivered, read).
SIMULATOR_STATUS_DELAY = float(env_str("SIMULATOR_STATUS_DELAY", "1.5"))

# Limits and service levels.
MESSAGE_MAX_LENGTH = env_int("MESSAGE_MAX_LENGTH", 1600)
MESSAGE_MAX_MEDIA = env_int("MESSAGE_MAX_MEDIA", 10)
# Twilio accepts MMS up to 5 MB in all.
OUTBOUND_MEDIA_MAX_BYTES = env_int("OUTBOUND_MEDIA_MAX_BYTES", 5 * 1024 * 1024)
# Any request body larger than this is refused before it is read: the attachments' limit
# plus room for the form's other fields and multipart framing.
REQUEST_MAX_BYTES = OUTBOUND_MEDIA_MAX_BYTES + 256 * 1024
# The contacts import's own limit on its CSV file (its upload is allowed this much more).
CONTACT_IMPORT_MAX_BYTES = env_int("CONTACT_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "")
# Waiting states (F-CV5): a customer waiting longer than these is soon overdue, then overdue.
SOON_OVERDUE_AFTER_SECONDS = env_int("SOON_OVERDUE_AFTER_SECONDS", 180)
OVERDUE_AFTER_SECONDS = env_int("OVERDUE_AFTER_SECONDS", 300)
# A conversation without a customer message for this long closes by itself.
AUTO_CLOSE_AFTER_SECONDS = env_int("AUTO_CLOSE_AFTER_SECONDS", 24 * 3600)
# A PDF transcript of more messages and events than this is built by a worker.
TRANSCRIPT_SYNC_MAX_ENTRIES = env_int("TRANSCRIPT_SYNC_MAX_ENTRIES", 60)
# One still waiting for a worker this long after it was asked for is queued again.
TRANSCRIPT_REQUEUE_AFTER_SECONDS = env_int("TRANSCRIPT_REQUEUE_AFTER_SECONDS", 60)
# A contacts import queued this long without starting, or running this long without writing
# a chunk (a few seconds' work), lost its task: the sweep queues it again.
IMPORT_REQUEUE_AFTER_SECONDS = env_int("IMPORT_REQUEUE_AFTER_SECONDS", 60)
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 300)
# How often an open inbox asks the server whether anything changed (F-IN7).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 3)
# Live by push (server-sent events, under an ASGI server): how many events the log keeps for
# tabs that reconnect, how often each web process's one reader reads the log when no Redis
# wakes it, and how often an idle stream says it is still there (a comment line, no query).
LIVE_EVENTS_KEPT = env_int("LIVE_EVENTS_KEPT", 20_000)
LIVE_READ_INTERVAL_MS = env_int("LIVE_READ_INTERVAL_MS", 200)
LIVE_KEEPALIVE_SECONDS = env_int("LIVE_KEEPALIVE_SECONDS", 20)
# Templates other apps add to the conversation window's bar, each included with the window's
# context (``conversation``, ``csrf_token``).
CONVERSATION_WINDOW_TOOLS = ["automation/partials/macro_button.html"]
# The key outgoing webhooks are signed with (HMAC-SHA256); derived from SECRET_KEY when unset.
AUTOMATION_WEBHOOK_SECRET = (
    env_str("AUTOMATION_WEBHOOK_SECRET", "")
    or hmac.new(SECRET_KEY.encode(), b"converse automation webhooks", "sha256").hexdigest()
)

# LOG_FORMAT=json: one JSON object a line, with the message's public id ("message_id") on
# every line about one message; otherwise plain text, the id in brackets.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"message_id": {"()": "converse.logs.MessageIdFilter"}},
    "formatters": {
        "plain": {
            "()": "converse.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "converse.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["message_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # The Twilio SDK logs every request's headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; failures and lockouts stay (WARNING).
        "axes": {"level": "WARNING"},
    },
}
