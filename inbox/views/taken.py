"""What a conversation window shows once a teammate took its conversation (F-CV8): who
and when, inside the page, instead of a bare 404."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import reswap, retarget

from ..access import Taken


def taken_response(request: HttpRequest, taken: Taken, *, status: int = 200) -> HttpResponse:
    """For HTMX, the window replaced by who took the conversation and when (whatever part
    of it asked: an action, the live refresh); otherwise My Inbox, which says the same."""
    if not request.htmx:
        messages.info(request, taken.sentence)
        return redirect("inbox:my_inbox")
    response = render(request, "inbox/partials/window_taken.html", {"taken": taken}, status=status)
    return retarget(reswap(response, "outerHTML"), "#window")
