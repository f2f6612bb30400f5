"""Actions from the conversation window: status, teams, notes, the contact panel, availability.

Each action answers an HTMX request with the refreshed thread, whose header and events swap
in out of band; without JavaScript it redirects back to the conversation.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ..access import ConversationTaken, can_send_in, conversation_for, visible_conversations
from ..forms.compose import NoteForm
from ..forms.contacts import ContactForm
from ..models import Conversation, Team, User
from ..pure.params import param_id
from ..services.assignment import AssignRefused, conversation_transfer
from ..services.auto_assign import availability_set
from ..services.contacts import contact_update
from ..services.conversation_status import StatusRefused, conversation_set_status
from ..services.notes import NoteRefused, note_add
from ..services.teams import (
    TeamActionRefused,
    conversation_grab,
    conversation_join,
    conversation_leave,
)
from .conversation import compose_context, thread_of
from .taken import taken_response
from .window_parts import window_render

Refusals = (StatusRefused, TeamActionRefused, NoteRefused, AssignRefused)


def thread_response(
    request: HttpRequest, conversation: Conversation, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The answer to an action taken in the conversation window (here, or a macro run from
    it): the thread and its compose box redrawn for htmx, else back to the conversation with
    ``error`` as a message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("inbox:conversation", public_id=conversation.public_id)
    conversation.refresh_from_db()
    context = {
        "conversation": conversation,
        "thread": thread_of(request, conversation),
        "oob_thread": True,
        # Grab, join, leave or a transfer change who may write: the compose box follows.
        "oob_compose": True,
        "window_error": error,
        **compose_context(request, conversation),
    }
    return window_render(request, "inbox/partials/thread.html", context, status=status)


def _window_action(service: Callable[..., object]) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST view that runs ``service(conversation=…, user=…)`` on a visible conversation."""

    @require_POST
    @login_required
    def view(request: HttpRequest, public_id: str) -> HttpResponse:
        try:
            conversation = conversation_for(request.user, public_id)
        except ConversationTaken as gone:
            # A click from a window opened before a teammate grabbed the conversation.
            return taken_response(request, gone.taken, status=422)
        try:
            service(conversation=conversation, user=request.user)
        except Refusals as refused:
            return thread_response(request, conversation, error=str(refused), status=422)
        return thread_response(request, conversation)

    return view


def _status_change(status: str, verb: str) -> Callable[..., None]:
    """Close or reopen, for a user who may write in the conversation."""

    def change(*, conversation: Conversation, user: User) -> None:
        if not can_send_in(user, conversation):
            raise StatusRefused(f"You cannot {verb} this conversation; grab or join it first.")
        conversation_set_status(conversation=conversation, status=status, by=user)

    return change


conversation_close_view = _window_action(_status_change(Conversation.Status.CLOSED, "close"))
conversation_reopen_view = _window_action(_status_change(Conversation.Status.OPEN, "reopen"))
conversation_join_view = _window_action(conversation_join)
conversation_leave_view = _window_action(conversation_leave)
conversation_grab_view = _window_action(conversation_grab)


@require_POST
@login_required
def conversation_transfer_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assign or transfer from the header: ``to`` is ``u:<user pk>`` or ``t:<team pk>``.

    When the conversation leaves the user's sight (handed away from one of their teams),
    they go back to My Inbox with a confirmation.
    """
    conversation = conversation_for(request.user, public_id)
    kind, _, raw_pk = request.POST.get("to", "").partition(":")
    pk = param_id(raw_pk)
    to_user = User.objects.filter(pk=pk).first() if kind == "u" and pk else None
    to_team = Team.objects.filter(pk=pk).first() if kind == "t" and pk else None
    try:
        conversation_transfer(
            conversation=conversation, by=request.user, to_user=to_user, to_team=to_team
        )
    except AssignRefused as refused:
        return thread_response(request, conversation, error=str(refused), status=422)
    if not visible_conversations(request.user).filter(pk=conversation.pk).exists():
        messages.success(
            request, f"Handed {conversation.contact.shown_name} to {to_user or to_team}."
        )
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": reverse("inbox:my_inbox")})
        return redirect("inbox:my_inbox")
    return thread_response(request, conversation)


@require_POST
@login_required
def conversation_note(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = conversation_for(request.user, public_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return thread_response(request, conversation, error=error, status=422)
    try:
        note_add(conversation=conversation, author=request.user, body=form.cleaned_data["body"])
    except NoteRefused as refused:
        return thread_response(request, conversation, error=str(refused), status=422)
    return thread_response(request, conversation)


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """The contact panel's form. Asked for by HTMX, the form alone (the panel fetches it when
    it is opened) and, once saved or refused, the panel; a small page otherwise."""
    conversation = conversation_for(request.user, public_id)
    contact = conversation.contact
    form = ContactForm(request.POST or None, contact=contact)
    if request.method == "GET" and request.htmx:
        context = {"conversation": conversation, "form": form}
        return render(request, "inbox/partials/contact_form.html", context)
    context = {"conversation": conversation, "contact_form": form}
    if request.method == "POST" and form.is_valid():
        contact_update(
            contact=contact, by=request.user, conversation=conversation, **form.changes()
        )
        if not request.htmx:
            return redirect("inbox:conversation", public_id=public_id)
        conversation.refresh_from_db()
        context = {
            "conversation": conversation,
            "contact_form": ContactForm(contact=conversation.contact),
            "thread": thread_of(request, conversation),
            "oob_thread": True,
        }
    status = 422 if form.errors else 200
    template = "inbox/partials/contact_panel.html" if request.htmx else "inbox/contact_edit.html"
    return window_render(request, template, context, status=status)


@require_POST
@login_required
def availability_toggle(request: HttpRequest) -> HttpResponse:
    """An agent's own switch for round-robin auto-assignment (F-AU1)."""
    availability_set(user=request.user, is_available=request.POST.get("available") == "1")
    if request.htmx:
        return render(request, "inbox/partials/availability.html")
    return redirect("inbox:my_inbox")
