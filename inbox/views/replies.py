"""Saved replies (F-TP1, F-TP3): the page that manages them and the compose box's picker
(inline, and as a page without JavaScript)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import conversation_for
from ..channels import channel_rules
from ..forms.replies import MissingValuesForm, SavedReplyForm
from ..models import CustomField, SavedReply, User
from ..selectors.replies import replies_for, replies_managed, reply_usable
from ..selectors.window import contact_with_details
from ..services.saved_replies import (
    ReplyRefused,
    contact_values,
    may_manage,
    reply_merge,
    saved_reply_delete,
    saved_reply_save,
)


def _reply_for(user: User, public_id: str) -> SavedReply:
    """A reply ``user`` may manage: shared ones for admins, their own for everyone."""
    reply = (
        SavedReply.objects.filter(public_id=public_id)
        .filter(Q(owner__isnull=True) | Q(owner=user))
        .first()
    )
    if reply is None or not may_manage(user, reply):
        raise Http404("No such reply")
    return reply


@require_GET
@login_required
def replies_list(request: HttpRequest) -> HttpResponse:
    replies = replies_managed(user=request.user)
    rows = [(reply, may_manage(request.user, reply)) for reply in replies]
    return render(request, "replies/list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def reply_edit(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    reply = _reply_for(request.user, public_id) if public_id else None
    initial = (
        {
            "title": reply.title,
            "subject": reply.subject,
            "body": reply.body,
            "channel": reply.channel,
            "shared": reply.is_shared,
        }
        if reply
        else {}
    )
    form = SavedReplyForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved_reply_save(
                by=request.user,
                reply=reply,
                title=form.cleaned_data["title"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                channel=form.cleaned_data["channel"],
                shared=form.cleaned_data.get("shared", False),
            )
        except ReplyRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        else:
            return redirect("inbox:replies")
    context = {
        "form": form,
        "reply": reply,
        "field_keys": CustomField.objects.order_by("name"),
    }
    return render(request, "replies/edit.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def reply_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    saved_reply_delete(by=request.user, reply=_reply_for(request.user, public_id))
    return redirect("inbox:replies")


def _merge_inputs(request: HttpRequest, conversation) -> tuple[dict[str, str], dict[str, str]]:
    """What the placeholders stand for with this conversation's contact and the agent, and
    every placeholder's label for people ("Delivery date")."""
    contact = contact_with_details(conversation.contact)
    values = contact_values(contact=contact, agent=request.user)
    labels = {field.name: str(field) for field in CustomField.objects.all()}
    return values, labels


def _missing_labelled(missing: list[str], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, labels.get(key, key.replace("_", " "))) for key in missing]


def _merged(reply: SavedReply, conversation, values: dict) -> tuple[str, str, list[str]]:
    """The reply's subject (on a channel with subjects, e-mail; else none) and text merged
    with ``values``, and the placeholders left without a value in either, each once."""
    subject, missing_in_subject = "", []
    if channel_rules(conversation.sender_id.channel).subjects:
        subject, missing_in_subject = reply_merge(body=reply.subject, values=values)
    text, missing = reply_merge(body=reply.body, values=values)
    return subject, text, list(dict.fromkeys([*missing_in_subject, *missing]))


def _choices(request: HttpRequest, conversation) -> list[dict]:
    values, labels = _merge_inputs(request, conversation)
    choices = []
    for reply in replies_for(
        user=request.user, channel=conversation.sender_id.channel, text=request.GET.get("q", "")
    ):
        subject, text, missing = _merged(reply, conversation, values)
        choices.append(
            {
                "reply": reply,
                "subject": subject,
                "text": text,
                "missing": _missing_labelled(missing, labels),
            }
        )
    return choices


@require_GET
@login_required
def reply_picker(request: HttpRequest, public_id: str) -> HttpResponse:
    """The compose box's picker: replies for this conversation's channel, merged with the
    contact's values; a placeholder without a value is named, to be asked for inline."""
    conversation = conversation_for(request.user, public_id)
    return render(
        request,
        "replies/partials/picker_results.html",
        {"choices": _choices(request, conversation), "conversation": conversation},
    )


@require_GET
@login_required
def reply_choose(request: HttpRequest, public_id: str) -> HttpResponse:
    """The picker as a page, for browsers without JavaScript: the list (``?q=`` searches),
    then for the chosen ``?reply=`` a form asking for the values the contact has none for;
    once every placeholder is filled, the conversation opens with the text in its compose
    box."""
    conversation = conversation_for(request.user, public_id)
    context = {"conversation": conversation, "q": request.GET.get("q", "")}
    if "reply" not in request.GET:
        context["choices"] = _choices(request, conversation)
        return render(request, "replies/choose.html", context)
    reply = reply_usable(
        user=request.user, channel=conversation.sender_id.channel, public_id=request.GET["reply"]
    )
    if reply is None:
        raise Http404("No such reply")
    values, labels = _merge_inputs(request, conversation)
    subject, text, missing = _merged(reply, conversation, values)
    form = MissingValuesForm(
        request.GET if any(key.startswith("value-") for key in request.GET) else None,
        missing=_missing_labelled(missing, labels),
    )
    if form.is_valid():
        subject, text, missing = _merged(reply, conversation, values | form.cleaned_data)
    if not missing:
        url = reverse("inbox:conversation", args=[conversation.public_id])
        fill = {"subject": subject, "body": text} if subject else {"body": text}
        return redirect(f"{url}?{urlencode(fill)}#id_body")
    context |= {"reply": reply, "form": form}
    return render(request, "replies/choose.html", context, status=422 if form.errors else 200)
