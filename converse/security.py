"""Response headers every page gets: a Content-Security-Policy that allows only our own
scripts and styles, a Permissions-Policy, and ``no-store`` on what a signed-in user sees.

HSTS, nosniff and the referrer policy come from Django's SecurityMiddleware (settings).
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control


def policy_header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Place first (after the metrics): answers made by middleware further in (static
    files, 413, 400) get the policies too. Whether a response is private is read from
    ``request.user`` once the response comes back, so AuthenticationMiddleware may come
    later."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.csp = policy_header(settings.CONTENT_SECURITY_POLICY)
        # Django's own admin pages carry inline style attributes; its scripts stay ours only.
        self.admin_csp = policy_header(
            {**settings.CONTENT_SECURITY_POLICY, "style-src": "'self' 'unsafe-inline'"}
        )
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view may set a stricter policy of its own (media served to Twilio).
        csp = self.admin_csp if request.path.startswith("/admin/") else self.csp
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Conversations, transcripts and media must not stay in a shared browser's or a
            # proxy's cache after the agent signs out.
            patch_cache_control(response, no_store=True, private=True)
        return response


def body_limit(path: str) -> int:
    """The largest request body accepted at ``path``: an attachment's size, or the contacts
    import's at its upload, with the same room for the form's other fields and framing as
    ``REQUEST_MAX_BYTES`` leaves."""
    room = settings.REQUEST_MAX_BYTES - settings.OUTBOUND_MEDIA_MAX_BYTES
    if path == _import_path():
        return settings.CONTACT_IMPORT_MAX_BYTES + room
    return settings.REQUEST_MAX_BYTES


@cache
def _import_path() -> str:
    return reverse("inbox:contacts_import")


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is over its ``body_limit`` before anything
    reads it (the CSRF check would parse, and spool to disk, a 200 MB upload first). The
    contacts import's upload has its own, larger limit (``CONTACT_IMPORT_MAX_BYTES``), and
    its page says so. Under ASGI the body is not even received (``converse.asgi``).

    Place before CsrfViewMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body it cannot size
        if declared > body_limit(request.path):
            importing = request.path == _import_path()
            limit = (
                settings.CONTACT_IMPORT_MAX_BYTES
                if importing
                else settings.OUTBOUND_MEDIA_MAX_BYTES
            )
            context = {"limit_mb": limit // (1024 * 1024), "importing": importing}
            return HttpResponse(render_to_string("request_too_large.html", context), status=413)
        return self.get_response(request)


class RejectNulMiddleware:
    """Answer 400 to a NUL character in the path, the query or a form field: PostgreSQL
    text cannot hold one, so a lookup with it would fail as a 500.

    Twilio's webhooks (``/webhooks/``) are left to their own handling: they are signed and
    their payloads are cleaned where they are stored. Place before CsrfViewMiddleware.
    """

    EXEMPT_PREFIXES = ("/webhooks/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET):
            return HttpResponseBadRequest("NUL characters are not allowed in a request.")
        if (
            request.method == "POST"
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and _has_nul(request.POST)
        ):
            return HttpResponseBadRequest("NUL characters are not allowed in a form.")
        return self.get_response(request)


def _has_nul(params: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())
