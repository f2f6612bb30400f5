"""Settings for the test suite: the product's own, with DEBUG off as in production, plus
what tests need (a secret key, plain HTTP cookies for the live server, no static manifest)."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-not-for-production")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")

import tempfile
from pathlib import Path

from converse.settings import *  # noqa: F403
from converse.shared_cache import redis_cache

# On SQLite the test database is a file of this run's own, not Django's shared in-memory
# database: there a browser test's server thread and the test itself lock each other out at
# once ("database table is locked", which no busy timeout retries), while a file in WAL mode
# waits its turn as the demo's web process and worker do. One file per run, so two suites
# side by side never share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"converse-test-{os.getpid()}.sqlite3")
    }

# No collectstatic step in tests: serve templates' static paths without a manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Browser tests wait for the requests still running before their database is reset.
MIDDLEWARE = ["tests.support.inflight.InFlightMiddleware", *MIDDLEWARE]  # noqa: F405

# Each test process its own caches, emptied before every test (tests/conftest.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"},
}
# A worker a test starts (tests/support/workers.py) shares the "shared" cache with the test
# through Redis when the test gives it TEST_SHARED_CACHE_URL (tests/test_worker.py).
if os.environ.get("TEST_SHARED_CACHE_URL"):
    CACHES["shared"] = redis_cache(os.environ["TEST_SHARED_CACHE_URL"], prefix="converse-test")
