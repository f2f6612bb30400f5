"""The product's URLs plus ``/bench/bare``, a view that does nothing: the server's ceiling.

With ``BENCH_COUNT_QUERIES`` set, every SQL query the server runs from then on adds one to
that Redis key (bench/live.py counts an idle process's queries so)."""

import os

from django.conf import settings
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.urls import path

from converse.redis_client import redis_client

if counter_key := os.environ.get("BENCH_COUNT_QUERIES"):

    def _count(execute, sql, params, many, context):
        redis_client(settings.REDIS_URL).incr(counter_key)
        return execute(sql, params, many, context)

    def _counted(sender, connection, **kwargs):
        connection.execute_wrappers.append(_count)

    connection_created.connect(_counted)

from converse.urls import urlpatterns as product_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *product_urlpatterns]
