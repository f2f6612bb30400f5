"""Conversation lists (F-IN1…F-IN5)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors


def list_context(request: HttpRequest) -> dict:
    after = selectors.Cursor.decode(request.GET.get("after"))
    conversations, next_cursor = selectors.my_inbox(user=request.user, after=after)
    return {
        "conversations": conversations,
        "next_cursor": next_cursor.encode() if next_cursor else "",
        "unread_count": selectors.unread_count(user=request.user),
        "list_title": "My Inbox",
        "active_id": request.GET.get("active", ""),
    }


@require_GET
@login_required
def my_inbox(request: HttpRequest) -> HttpResponse:
    context = list_context(request)
    if request.htmx:
        return render(request, "inbox/partials/conversation_list.html", context)
    return render(request, "inbox/inbox.html", context)
