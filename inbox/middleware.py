from django.utils import timezone
from django.utils.cache import patch_vary_headers

from .models.people import zone_named


class UserTimeZoneMiddleware:
    """Show times in the signed-in user's time zone; they are stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(zone_named(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class HtmxVaryMiddleware:
    """Say that pages differ for htmx requests: a list or a conversation asked for by htmx
    is a fragment of the page at the same URL, and a browser that cached the fragment must
    not show it when the address is visited (Back, a reopened tab)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response
