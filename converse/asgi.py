"""The ASGI application: every page as under WSGI, plus the live stream (``/live/stream/``),
which holds one connection per open tab without holding a thread."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "converse.settings")
application = get_asgi_application()
