"""The ASGI application: every page as under WSGI, plus the live stream (``/live/stream/``),
which holds one connection per open tab without holding a thread."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise answers static files with a file iterator, which Django's ASGI handler reads in
# a thread and warns about for every file; the files are small and cached by browsers.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "converse.settings")
application = get_asgi_application()
