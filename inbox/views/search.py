"""Search in message text (F-IN9): a page beside the lists, in the same three panes."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors.counts import inbox_nav
from ..selectors.lists import InboxView
from ..selectors.search import QUERY_MAX_LENGTH, message_search


@require_GET
@login_required
def message_search_view(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    nav = inbox_nav(user=request.user)
    context = {
        "view": InboxView("search"),
        "nav": nav,
        "q": text,
        "hits": message_search(user=request.user, text=text) if text else [],
        "list_title": "Search messages",
        "unread_count": nav.mine,
        "live_unread": nav.mine,
    }
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "inbox/partials/search_results.html", context)
    return render(request, "inbox/search.html", context)
