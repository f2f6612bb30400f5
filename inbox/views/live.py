"""Live updates (F-IN7): one cheap poll per open tab says whether anything changed.

The page carries a version (``since``, epoch seconds with microseconds). The poll answers
204 when no conversation the user can see changed after it, nor the user's read marks (in
another tab, say): four small queries (session, user, the user's sender IDs and teams, one
indexed aggregate). Otherwise it answers with the new version and an ``inbox-changed`` client
event carrying the unread count and what deserves a desktop notification; the list and the
thread refresh themselves on that event.

Where the live stream runs (``inbox.views.stream``), the page asks only when the stream
says something it may see happened, and the timer's polls are skipped (``static/js/live.js``);
they start again by themselves whenever the stream cannot be held.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from ..pure.params import param_int
from ..selectors.counts import unread_count
from ..selectors.live import latest_change, news_since
from ..services.read_state import counted_on_screen
from ..versions import COMMIT_SLACK


def parse_version(raw: str | None) -> datetime | None:
    """``1700000000.123456`` → an aware datetime, exactly (no float rounding)."""
    seconds, _, micros = (raw or "").partition(".")
    whole = param_int(seconds)
    fraction = param_int(micros.ljust(6, "0")[:6]) if micros else 0
    if whole is None or fraction is None:
        return None
    try:
        return datetime.fromtimestamp(whole, tz=UTC) + timedelta(microseconds=fraction)
    except (ValueError, OverflowError, OSError):
        return None


def format_version(at: datetime) -> str:
    return f"{int(at.timestamp())}.{at.microsecond:06d}"


@require_GET
@login_required
def changes(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    since = parse_version(request.GET.get("since")) or now - COMMIT_SLACK
    latest = latest_change(user=request.user, since=since)
    # My read marks changed (in another tab, say): no conversation did, but the unread count.
    marks = request.user.read_marks_changed_at
    if marks is not None and marks > since:
        latest = max(latest or marks, marks)
    if latest is None:
        return HttpResponse(status=204)
    # The next version stays COMMIT_SLACK behind the clock so a slow commit is still seen.
    version = max(since, min(latest, now - COMMIT_SLACK))
    # What the customer just wrote in the conversation on the reader's screen is read, so it
    # is read before counting (the count would otherwise show it unread for a moment).
    unread = counted_on_screen(
        user=request.user,
        public_id=request.GET.get("open", "")[:16],
        count=lambda: unread_count(user=request.user),
    )
    response = render(
        request,
        "inbox/partials/live.html",
        {
            "live_since": format_version(version),
            "live_unread": unread,
            "live_poll_seconds": settings.LIVE_POLL_SECONDS,
        },
    )
    news = news_since(user=request.user, since=since)
    return trigger_client_event(
        response,
        "inbox-changed",
        {"unread": unread, "news": [n.__dict__ for n in news]},
    )
