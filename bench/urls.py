"""The product's URLs plus ``/bench/bare``, a view that does nothing: the server's ceiling."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from converse.urls import urlpatterns as product_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *product_urlpatterns]
