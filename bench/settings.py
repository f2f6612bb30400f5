"""Settings for benchmark runs: the product's settings on the bench database, DEBUG off,
plus a URLconf that adds a bare view for measuring the server itself."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
# Presence lives in Redis in production: measure it there.
os.environ.setdefault("REDIS_URL", os.environ["CELERY_BROKER_URL"])

from converse.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# No collectstatic step: serve templates' static paths without a manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
# One test client stands for many visitors: the widget's per-address limit would stop it.
WEBCHAT_RATE_ADDRESS = "100000/m"
WEBCHAT_RATE_WRITE = "100000/m"
