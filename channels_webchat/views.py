"""The widget's endpoints: its script, its frame, and the JSON the frame speaks.

The frame is served by Converse inside the website's page; ``frame-ancestors`` lists only
the website's allowed origins, so a page of any other origin cannot show it. The JSON
endpoints take no cookies: a visitor is the bearer of their token (``visitors.py``), which
a cross-site form cannot send, so they are exempt from Django's CSRF cookie check and check
the token instead; starting a visitor needs the signed start token of a frame we served.
Bodies are size-checked JSON (a file: multipart, checked as the compose box's uploads),
rate-limited per visitor and per address (an IPv6 client by its /64, see ``_address``; files
also by tighter limits of their own), and refused with a 400 and a reason, never a 500.
A file of the chat is served only to the bearer of the visitor's token, never by address.
"""

import json
from dataclasses import asdict
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from converse.auth import client_network
from converse.security import policy_header
from inbox.channels import channel_rules
from inbox.models import Channel
from inbox.pure.media_types import UploadRefused, uploads_check
from inbox.pure.storable import storable_text

from .models import Visitor, Website
from .presence import agents_typing, visitor_typing
from .visitors import (
    WidgetMessage,
    conversation_of,
    is_away,
    unread_count,
    visitor_attachment,
    visitor_for_token,
    visitor_messages,
    visitor_profile_save,
    visitor_read,
    visitor_seen,
    visitor_start,
    visitor_write,
)

START_SALT = "channels_webchat.start"
START_MAX_AGE = 24 * 3600
# Larger bodies are refused unread: the longest message with room for JSON's escapes.
BODY_MAX_BYTES = 32 * 1024
KEY_MAX_LENGTH = 40


class BadInput(ValueError):
    """What the widget sent cannot be used; the message says why."""


def _error(reason: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


def _json_body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise BadInput("Send JSON (Content-Type: application/json).")
    if len(request.body) > BODY_MAX_BYTES:
        raise BadInput("The message is too large.")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise BadInput("The request is not JSON.") from None
    if not isinstance(data, dict):
        raise BadInput("The request is not a JSON object.")
    return data


def _text(data: dict, name: str, *, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadInput(f"{name} must be text.")
    value = storable_text(value).strip()
    if len(value) > limit:
        raise BadInput(f"{name} is {len(value) - limit} characters too long (at most {limit}).")
    return value


# Control characters and bidirectional overrides: a visitor's name, page, language and time
# zone are one line of text each, shown to agents and put into e-mails as such.
NOT_IN_A_LINE = dict.fromkeys([*range(0x20), 0x7F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _line(value: str) -> str:
    """``value`` as one line: what could break it, or turn it around, dropped."""
    return storable_text(value).translate(NOT_IN_A_LINE).strip()


def _address(group: str, request: HttpRequest) -> str:
    """The visitor's address as every address limit's key (see ``client_network``)."""
    return client_network(request)


def _limited(request: HttpRequest, group: str, rate: str, key) -> bool:
    return is_ratelimited(request, group=f"webchat.{group}", key=key, rate=rate, increment=True)


def _website(key: str) -> Website:
    return get_object_or_404(
        Website.objects.select_related("sender"), key=key, sender__is_active=True
    )


def _frame_policy(website: Website) -> str:
    ancestors = " ".join(website.origins) or "'none'"
    return policy_header({**settings.CONTENT_SECURITY_POLICY, "frame-ancestors": ancestors})


def origin_allowed(request: HttpRequest, website: Website) -> bool:
    """Whether the page that made ``request`` may speak for ``website``'s visitors: a
    browser names it (``Origin``) on every request but a same-origin GET; it must be ours
    (the frame's) or one of the website's. A request naming none passes (the token is
    still needed); "null" (a sandboxed or opaque page) does not."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = f"{request.scheme}://{request.get_host()}"
    return origin.lower() in {own.lower(), *website.origins}


def visitor_checked(request: HttpRequest, website: Website) -> Visitor | JsonResponse:
    """The visitor whose token ``request`` bears, from a page the website allows and within
    the per-address limit; else the refusal to answer (403, 429, 401)."""
    if not origin_allowed(request, website):
        return _error("This website's chat cannot be used from that page.", 403)
    if _limited(request, "address", settings.WEBCHAT_RATE_ADDRESS, _address):
        return _error("Too many requests: wait a minute.", 429)
    auth = request.headers.get("Authorization", "")
    visitor = visitor_for_token(website=website, token=auth.removeprefix("Bearer ").strip())
    if visitor is None:
        return _error("Unknown visitor: start again.", 401)
    return visitor


def visitor_api(view):
    """A JSON endpoint of a website's visitor: the bearer token finds them, or 401; a page
    of an origin the website does not list is refused (403); bad input is a 400 with its
    reason; too many requests from one address a 429."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, key: str, **kwargs) -> HttpResponse:
        visitor = visitor_checked(request, _website(key))
        if isinstance(visitor, HttpResponse):
            return visitor
        try:
            return view(request, visitor, **kwargs)
        except BadInput as bad:
            return _error(str(bad))

    return wrapped


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """The script the snippet loads: draws the frame on the website's page."""
    script = render_to_string("webchat/widget.js")
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
@xframe_options_exempt
def frame(request: HttpRequest, key: str) -> HttpResponse:
    """The chat itself, shown in an iframe on the website's pages (and only theirs)."""
    website = _website(key)
    config = {
        "key": website.key,
        "name": str(website),
        "greeting": website.greeting,
        "colour": website.colour,
        "prechat": website.prechat_form,
        "start": signing.dumps(website.key, salt=START_SALT),
        "limit": channel_rules(Channel.WEBCHAT).text_limit,
        "file_max": settings.OUTBOUND_MEDIA_MAX_BYTES,
    }
    response = render(request, "webchat/frame.html", {"config": config, "website": website})
    response["Content-Security-Policy"] = _frame_policy(website)
    return response


@csrf_exempt
@require_POST
def start(request: HttpRequest, key: str) -> HttpResponse:
    """A new visitor: only from a frame we served for this website (its signed start
    token), and at most ``WEBCHAT_RATE_START`` from one address."""
    website = _website(key)
    if not origin_allowed(request, website):
        return _error("This website's chat cannot be used from that page.", 403)
    if _limited(request, "start", settings.WEBCHAT_RATE_START, _address):
        return _error("Too many new chats from your address: try again later.", 429)
    try:
        data = _json_body(request)
        token = _text(data, "start", limit=200)
    except BadInput as bad:
        return _error(str(bad))
    try:
        signed_key = signing.loads(token, salt=START_SALT, max_age=START_MAX_AGE)
    except signing.BadSignature:
        return _error("This chat page is out of date: reload the page.", 403)
    if signed_key != website.key:
        return _error("This chat page is out of date: reload the page.", 403)
    _, visitor_token = visitor_start(website=website)
    return JsonResponse({"token": visitor_token}, status=201)


def _shown(message: WidgetMessage) -> dict:
    """A message as the widget has it: which conversation it is in is ours to know."""
    shown = asdict(message)
    del shown["conversation_id"]
    return shown


def _state(visitor: Visitor) -> dict:
    messages = visitor_messages(visitor=visitor)
    website = visitor.website
    away = is_away(website)
    conversation_id = messages[-1].conversation_id if messages else None
    return {
        "messages": [_shown(m) for m in messages],
        "unread": unread_count(visitor=visitor, messages=messages),
        "typing": agents_typing(conversation_id=conversation_id) if conversation_id else "",
        "away": away,
        "away_message": website.away_message if away else "",
        "profile": {"name": visitor.name, "email": visitor.email},
    }


@require_GET
@visitor_api
def state(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    """What the widget shows: asked when the visitor's stream says it changed (and once
    each time the stream is opened), or every few seconds without one."""
    visitor_reported_seen(request, visitor)
    return JsonResponse(_state(visitor))


def visitor_reported_seen(request: HttpRequest, visitor: Visitor) -> None:
    """The visitor is online, on the page (language, time zone) their widget reports."""
    visitor_seen(
        visitor=visitor,
        page_url=_line(request.GET.get("page", "")),
        language=_line(request.GET.get("lang", "")),
        time_zone=_line(request.GET.get("tz", "")),
    )


@require_POST
@visitor_api
def write(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    if _limited(request, "write", settings.WEBCHAT_RATE_WRITE, lambda g, r: visitor.address):
        return _error("You are writing too fast: wait a moment.", 429)
    data = _json_body(request)
    body = _text(data, "body", limit=channel_rules(Channel.WEBCHAT).text_limit)
    key = _text(data, "key", limit=KEY_MAX_LENGTH)
    if not body:
        raise BadInput("Write a message first.")
    if not key.replace("-", "").isalnum():
        raise BadInput("key must be letters, digits and dashes.")
    visitor_write(visitor=visitor, body=body, key=key)
    return JsonResponse(_state(visitor), status=201)


@require_POST
@visitor_api
def attach(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    """A file the visitor attached, as a message of its own: checked as the compose box's
    uploads are (size, and type by content), then only images and PDFs."""

    def by_visitor(group: str, request: HttpRequest) -> str:
        return visitor.address

    if _limited(request, "write", settings.WEBCHAT_RATE_WRITE, by_visitor):
        return _error("You are writing too fast: wait a moment.", 429)
    if _limited(request, "files", settings.WEBCHAT_RATE_FILES_VISITOR, by_visitor):
        return _error("You have sent too many files for now: try again later.", 429)
    if _limited(request, "files.address", settings.WEBCHAT_RATE_FILES_ADDRESS, _address):
        return _error("Too many files from your address: try again later.", 429)
    uploads = request.FILES.getlist("file")
    key = request.POST.get("key", "")
    # Counted by parts, not by field names: of several parts named "file" one would be kept.
    if len(uploads) != 1 or len(request.FILES) != 1:
        raise BadInput("Attach exactly one file at a time.")
    [upload] = uploads
    if not (0 < len(key) <= KEY_MAX_LENGTH and key.replace("-", "").isalnum()):
        raise BadInput("key must be letters, digits and dashes.")
    try:
        uploads_check([upload])
    except UploadRefused as refused:
        raise BadInput(str(refused)) from None
    if upload.content_type not in channel_rules(Channel.WEBCHAT).media_types:
        raise BadInput(
            f"{_line(upload.name)} cannot be sent: attach an image (JPEG, PNG or GIF) or a PDF."
        )
    visitor_write(visitor=visitor, body="", key=key, upload=upload)
    return JsonResponse(_state(visitor), status=201)


@require_GET
@visitor_api
def attachment(request: HttpRequest, visitor: Visitor, public_id: str) -> HttpResponse:
    """A file of the visitor's own chat, to the bearer of their token only: the widget
    fetches it and shows it from memory, so no address of it works without the token."""
    found = visitor_attachment(visitor=visitor, public_id=public_id)
    if found is None:
        return _error("No such file in your chat.", 404)
    try:
        opened = found.file.open("rb")
    except OSError:  # its row is there, its stored file is not
        return _error("No such file in your chat.", 404)
    response = FileResponse(
        opened,
        as_attachment=not found.content_type.startswith("image/"),
        filename=found.original_name or "attachment",
        content_type=found.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@visitor_api
def typing(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    """The visitor is typing (again): their agents see it for a few seconds."""
    if _limited(request, "typing", settings.WEBCHAT_RATE_TYPING, lambda g, r: visitor.address):
        return _error("Too many typing reports: wait a moment.", 429)
    if _json_body(request).get("typing") is not True:
        raise BadInput("typing must be true.")
    conversation = conversation_of(visitor)
    if conversation is not None:  # none before their first message: nobody to tell
        visitor_typing(visitor=visitor, conversation=conversation, typing=True)
    return HttpResponse(status=204)


@require_POST
@visitor_api
def read(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    upto = _json_body(request).get("upto")
    if not isinstance(upto, int) or isinstance(upto, bool) or not 0 <= upto < 2**62:
        raise BadInput("upto must be a message number.")
    visitor_read(visitor=visitor, upto=upto)
    return JsonResponse({"ok": True})


@require_POST
@visitor_api
def profile(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    data = _json_body(request)
    name = _line(_text(data, "name", limit=100))
    email = _text(data, "email", limit=254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise BadInput("That e-mail address does not look right.") from None
    consent = data.get("consent") is True
    visitor_profile_save(visitor=visitor, name=name, email=email, consent=consent)
    return JsonResponse(_state(visitor))
