"""A message held for business hours: its author (or an admin) edits or cancels it."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..access import conversation_for
from ..forms.whatsapp import TemplateSendForm
from ..models import Message, MessageStatus
from ..selectors.templates import registered_template
from ..services.business_hours import opening_label
from ..services.held_messages import (
    HeldMessageRefused,
    can_change_held,
    held_message_cancel,
    held_message_edit,
    held_template_edit,
)
from ..services.refusals import SendRefused
from ..services.reply_window import check_template_approved


class HeldMessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=settings.MESSAGE_MAX_LENGTH,
        strip=True,
    )


def _held_for(request: HttpRequest, public_id: str, message_id: str) -> Message:
    """The held message ``message_id`` of a conversation the user sees, if they may change
    it; 404 otherwise (sent already, someone else's, not in this conversation)."""
    conversation = conversation_for(request.user, public_id)
    message = (
        Message.objects.filter(
            conversation=conversation, public_id=message_id, status=MessageStatus.SCHEDULED
        )
        .select_related("conversation")
        .first()
    )
    if message is None or not can_change_held(request.user, message):
        raise Http404("No such message waiting to be sent")
    return message


@require_http_methods(["GET", "POST"])
@login_required
def held_message(request: HttpRequest, public_id: str, message_id: str) -> HttpResponse:
    message = _held_for(request, public_id, message_id)
    if message.content_sid:
        return _held_template(request, message)
    form = HeldMessageForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            held_message_edit(message=message, by=request.user, body=form.cleaned_data["body"])
        except HeldMessageRefused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("inbox:conversation", public_id=public_id)
    return _held_page(request, message, {"form": form}, failed=bool(form.errors))


def _held_template(request: HttpRequest, message: Message) -> HttpResponse:
    """A held WhatsApp template: its variables change (the text follows), never its text;
    a template WhatsApp no longer approves can only be cancelled, and the page says why."""
    template = registered_template(content_sid=message.content_sid)
    context: dict = {"template_error": ""}
    try:
        check_template_approved(template=template)
    except SendRefused as refused:
        context["template_error"] = str(refused)
        return _held_page(request, message, context, failed=request.method == "POST")
    values = message.content_variables or {}
    form = TemplateSendForm(request.POST or None, template=template, values=values)
    context["template_form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            held_template_edit(
                message=message, by=request.user, template=template, values=form.values()
            )
        except HeldMessageRefused as refused:
            context["template_error"] = str(refused)
        else:
            return redirect("inbox:conversation", public_id=message.conversation.public_id)
    failed = bool(form.errors or context["template_error"])
    return _held_page(request, message, context, failed=failed)


def _held_page(request: HttpRequest, message: Message, context: dict, *, failed: bool):
    context |= {
        "message": message,
        "conversation": message.conversation,
        "until": opening_label(message.scheduled_for),
    }
    return render(request, "inbox/held_message.html", context, status=422 if failed else 200)


@require_POST
@login_required
def held_message_cancel_view(request: HttpRequest, public_id: str, message_id: str):
    message = _held_for(request, public_id, message_id)
    try:
        held_message_cancel(message=message, by=request.user)
    except HeldMessageRefused as refused:
        messages.error(request, str(refused))
    return redirect("inbox:conversation", public_id=public_id)
