"""The conversation window: read, live-refresh, send, start (F-CV1, F-CV2)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from .. import window_facts
from ..access import ConversationTaken, can_send_in, conversation_for, usable_sender_ids
from ..channels import InvalidAddress, channel_rules
from ..forms.compose import ComposeForm, NewConversationForm
from ..models import Organisation
from ..pure.params import param_id
from ..pure.phone import format_phone
from ..pure.segments import count_segments
from ..selectors.contacts import contact_chosen, contact_conversations
from ..selectors.counts import unread_count
from ..selectors.search import thread_size_to_show
from ..selectors.window import Thread, thread
from ..services.conversations import conversation_start
from ..services.held_messages import held_until_label
from ..services.notes import mentions_seen
from ..services.opt_out import contact_opt_out
from ..services.read_state import conversation_mark_read
from ..services.reply_window import WINDOW_CLOSED, opens_with_template
from ..services.sending import SendRefused, message_send, too_long
from .lists import list_context as _list_context
from .live import format_version
from .taken import taken_response
from .window_parts import window_render


def thread_of(request: HttpRequest, conversation) -> Thread:
    """The thread as far back as the reader has asked (``?show=``, else the newest page),
    and at least back to the message ``?at=`` (a search result)."""
    size = Thread.size_from(request.GET.get("show"))
    if request.GET.get("at"):
        found = thread_size_to_show(conversation=conversation, message_id=request.GET["at"])
        size = max(size, Thread.size_from(str(found)))
    return thread(conversation=conversation, size=size)


def compose_context(request: HttpRequest, conversation, compose_form=None) -> dict:
    """What the compose box shows: the form, or why the user cannot write (not theirs to
    answer, or the customer opted out), and ``compose_key``, which names that state."""
    can_send = can_send_in(request.user, conversation)
    opt_out = contact_opt_out(contact=conversation.contact) if can_send else None
    return {
        "can_send": can_send,
        # E-mail's compose box has a subject (a saved reply's fills it).
        "compose_subject": channel_rules(conversation.sender_id.channel).subjects,
        "opt_out": opt_out,
        "compose_key": "opted_out" if opt_out else ("send" if can_send else "locked"),
        "compose_form": compose_form or ComposeForm(),
        "held_until": held_until_label(conversation.sender_id),
    }


def _thread_context(request: HttpRequest, conversation, compose_form=None) -> dict:
    return {
        "conversation": conversation,
        "thread": thread_of(request, conversation),
        **compose_context(request, conversation, compose_form),
    }


@require_GET
@login_required
def conversation_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        conversation = conversation_for(
            request.user, public_id, also=window_facts.window_conversation_facts(request.user)
        )
    except ConversationTaken as gone:
        return taken_response(request, gone.taken)
    window_facts.remember(conversation, request.user)
    was_unread = conversation_mark_read(user=request.user, conversation=conversation)
    mentions_seen(user=request.user, conversation=conversation)
    if request.htmx.target == "window":
        return _window_swap(request, conversation, was_unread=was_unread)
    # ``?body=`` (and ``?subject=``) fill the compose box (a saved reply chosen without
    # JavaScript).
    compose_form = ComposeForm(
        initial={"body": request.GET.get("body", ""), "subject": request.GET.get("subject", "")}
    )
    context = _thread_context(request, conversation, compose_form) | _list_context(request)
    context["active_id"] = conversation.public_id
    return window_render(request, "inbox/conversation.html", context)


def _window_swap(request: HttpRequest, conversation, *, was_unread: bool) -> HttpResponse:
    """A row opened from the list: the thread and contact panes only, so the list keeps its
    place, its older pages and its ticks. A read changes the counts: the page hears of it
    (``inbox-changed``) and refreshes the list and the navigation."""
    response = window_render(
        request, "inbox/partials/window_swap.html", _thread_context(request, conversation)
    )
    if was_unread:
        unread = unread_count(user=request.user)
        trigger_client_event(response, "inbox-changed", {"unread": unread}, after="settle")
    return response


@require_GET
@login_required
def conversation_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    """Live refresh of the thread: 204 when nothing changed since ``?v=``; the window says
    who took the conversation once a teammate has grabbed it."""
    try:
        conversation = conversation_for(request.user, public_id)
    except ConversationTaken as gone:
        return taken_response(request, gone.taken)
    if request.GET.get("v") == format_version(conversation.changed_at):
        return HttpResponse(status=204)
    conversation_mark_read(user=request.user, conversation=conversation)
    context = _thread_context(request, conversation)
    # The compose box is redrawn too when what it may offer changed (a teammate grabbed
    # the conversation, the customer opted out…); otherwise what is being typed stays.
    shown = request.GET.get("compose")
    context["oob_compose"] = shown is not None and shown != context["compose_key"]
    return window_render(request, "inbox/partials/thread.html", context)


@require_POST
@login_required
def conversation_send(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = conversation_for(request.user, public_id)
    form = ComposeForm(request.POST, request.FILES)
    # A freeform refused for WhatsApp's window: the template picker opens beside the reason.
    offer_template = False
    if form.is_valid():
        try:
            message_send(
                conversation=conversation,
                author=request.user,
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"]
                if channel_rules(conversation.sender_id.channel).subjects
                else "",
                idempotency_key=form.cleaned_data["idempotency_key"],
                media=form.cleaned_data["media"],
            )
        except SendRefused as refused:
            form.add_error(None, str(refused))
            offer_template = refused.code == WINDOW_CLOSED
        else:
            if not request.htmx:
                return redirect("inbox:conversation", public_id=public_id)
            form = ComposeForm()
    status = 200 if form.is_valid() or not form.errors else 422
    if not request.htmx:
        context = _thread_context(request, conversation, form) | _list_context(request)
        context["offer_template"] = offer_template
        return window_render(request, "inbox/conversation.html", context, status=status)
    conversation.refresh_from_db()
    context = _thread_context(request, conversation, form)
    context |= {"oob_thread": True, "offer_template": offer_template}
    return window_render(request, "inbox/partials/compose.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def conversation_new(request: HttpRequest) -> HttpResponse:
    """Start a conversation. ``?contact=`` (a suggestion picked by name or number, with the
    ``&number=`` it was found by) fills the number and lists the conversations the user can
    already open with that contact."""
    region = Organisation.load().region
    context: dict = {}
    if request.method == "POST":
        form = NewConversationForm(request.POST, user=request.user, region=region)
    else:
        initial = {name: request.GET[name] for name in ("sender", "body") if name in request.GET}
        chosen = request.GET.get("contact")
        if chosen:
            contact = contact_chosen(public_id=chosen, number=request.GET.get("number", ""))
            if contact is not None:
                initial["phone"] = format_phone(contact.chosen_number)
                context = {
                    "chosen_contact": contact,
                    "chosen_number": initial["phone"],
                    "existing": contact_conversations(user=request.user, contact=contact),
                }
        form = NewConversationForm(user=request.user, region=region, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation, _ = conversation_start(
                user=request.user,
                sender=form.cleaned_data["sender"],
                phone=form.cleaned_data["phone"],
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except (SendRefused, InvalidAddress) as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("inbox:conversation", public_id=conversation.public_id)
    status = 422 if form.errors else 200
    notice = _sender_notice(request, form["sender"].value(), form["phone"].value())
    context |= {"form": form, **notice}
    return render(request, "inbox/new_conversation.html", context, status=status)


@require_GET
@login_required
def conversation_new_sender(request: HttpRequest) -> HttpResponse:
    """What the new-conversation page says of the sender ID just picked (``?sender=``, with
    the ``?phone=`` typed so far)."""
    context = _sender_notice(request, request.GET.get("sender"), request.GET.get("phone", ""))
    return render(request, "inbox/partials/new_conversation_sender.html", context)


def _sender_notice(request: HttpRequest, sender_pk, phone: str) -> dict:
    """The chosen sender ID's notice: when a message sent now would go, if it is closed;
    on WhatsApp, the template start (carrying the sender and number) in place of the
    freeform body. The body is only hidden once the browser runs htmx: without it the form
    stays whole and the send is refused with the same way out."""
    pk = param_id(str(sender_pk or ""))
    sender = usable_sender_ids(request.user).filter(pk=pk).first() if pk else None
    if sender is None:
        return {}
    template_start = ""
    if opens_with_template(sender):
        query = urlencode({"sender": sender.public_id, "phone": (phone or "")[:100]})
        template_start = f"{reverse('inbox:conversation_new_template')}?{query}"
    return {
        "held_until": held_until_label(sender),
        "template_start": template_start,
        "hide_freeform": bool(template_start and request.htmx),
    }


@require_GET
@login_required
def segment_count(request: HttpRequest) -> HttpResponse:
    """The compose box's live counter (F-CH1)."""
    body = request.GET.get("body", "").strip()
    context = {"count": count_segments(body), "too_long": too_long(body)}
    return render(request, "inbox/partials/segments.html", context)
