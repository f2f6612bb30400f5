"""WhatsApp in the conversation window: the template picker, the window's live state,
and consent (F-TP2, F-TP3, F-CP2, F-CP3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import can_send_in, conversation_for
from ..forms.whatsapp import (
    ConsentForm,
    ConsentImportForm,
    NewTemplateConversationForm,
    TemplateSendForm,
)
from ..models import Contact, Conversation, contact_at_q
from ..selectors.templates import registered_template
from ..services.conversations import conversation_start_with_template
from ..services.reply_window import check_template_approved, window_is_open
from ..services.sending import SendRefused
from ..services.whatsapp_consent import whatsapp_consent_import, whatsapp_consent_set
from ..services.whatsapp_templates import template_values_from_contact, whatsapp_template_send
from .conversation import _thread_context, thread_of
from .lists import list_context
from .window_parts import window_render


def _compose_response(
    request: HttpRequest, conversation: Conversation, context: dict, *, status: int = 200
) -> HttpResponse:
    """The WhatsApp part of the compose box for HTMX; the whole window otherwise."""
    if request.htmx:
        return window_render(
            request, "inbox/partials/whatsapp_compose.html", context, status=status
        )
    context = _thread_context(request, conversation) | list_context(request) | context
    return window_render(request, "inbox/conversation.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def conversation_templates(request: HttpRequest, public_id: str) -> HttpResponse:
    """Search templates (``?q=``), open one (``?sid=``), or send it (POST)."""
    conversation = conversation_for(request.user, public_id)
    context = {"conversation": conversation, "can_send": can_send_in(request.user, conversation)}
    if request.method == "GET":
        query = request.GET.get("q", "")[:100]
        context["template_query"] = query
        sid = request.GET.get("sid", "")
        if sid:
            template = registered_template(content_sid=sid)
            if template is None:
                raise Http404("No such template")
            try:
                check_template_approved(template=template)
            except SendRefused as refused:
                context["template_error"] = str(refused)
            else:
                values = template_values_from_contact(
                    template=template, contact=conversation.contact
                )
                context["template_form"] = TemplateSendForm(template=template, values=values)
            if request.htmx:
                return render(request, "inbox/partials/template_form.html", context)
        elif request.htmx:
            return window_render(request, "inbox/partials/template_results.html", context)
        return _compose_response(request, conversation, context)
    template = registered_template(content_sid=request.POST.get("sid", ""))
    if template is None:
        raise Http404("No such template")
    form = TemplateSendForm(request.POST, template=template)
    form.is_valid()
    try:
        whatsapp_template_send(
            conversation=conversation,
            author=request.user,
            template=template,
            values=form.values(),
            idempotency_key=form.cleaned_data.get("idempotency_key"),
        )
    except SendRefused as refused:
        context |= {"template_form": form, "template_error": str(refused)}
        return _compose_response(request, conversation, context, status=422)
    if not request.htmx:
        return redirect("inbox:conversation", public_id=public_id)
    conversation.refresh_from_db()
    context["thread"] = thread_of(request, conversation)
    context["oob_thread"] = True
    return window_render(request, "inbox/partials/whatsapp_compose.html", context)


@require_GET
@login_required
def compose_refresh(request: HttpRequest, public_id: str) -> HttpResponse:
    """A closed window's compose box asks on every inbox change whether the customer wrote:
    204 while it stays closed, the open compose box (freeform again) once they have."""
    conversation = conversation_for(request.user, public_id)
    if not window_is_open(conversation=conversation):
        return HttpResponse(status=204)
    context = _thread_context(request, conversation) | {"with_compose": True}
    return window_render(request, "inbox/partials/whatsapp_compose.html", context)


@require_POST
@login_required
def contact_consent(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record or withdraw the contact's WhatsApp opt-in from the contact panel."""
    conversation = conversation_for(request.user, public_id)
    form = ConsentForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose how the customer agreed."
    else:
        try:
            whatsapp_consent_set(
                contact=conversation.contact,
                granted=form.cleaned_data["granted"],
                source=form.cleaned_data["source"],
                detail=form.cleaned_data["detail"],
                actor=request.user,
            )
        except SendRefused as refused:
            error = str(refused)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("inbox:conversation", public_id=public_id)
    conversation.refresh_from_db()
    context = {
        "conversation": conversation,
        "thread": thread_of(request, conversation),
        "oob_thread": True,
        "consent_error": error,
    }
    return window_render(
        request, "inbox/partials/consent_swap.html", context, status=422 if error else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def consent_import(request: HttpRequest) -> HttpResponse:
    """Admins record WhatsApp opt-in for a CSV of numbers."""
    if not request.user.is_admin:
        raise Http404("No such page")
    form = ConsentImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = whatsapp_consent_import(
            text=form.cleaned_data["file"], actor=request.user, detail=form.cleaned_data["detail"]
        )
        form = ConsentImportForm()
    status = 422 if form.errors else 200
    return render(
        request, "inbox/consent_import.html", {"form": form, "result": result}, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def conversation_new_template(request: HttpRequest) -> HttpResponse:
    """Start a WhatsApp conversation with a registered template, in two steps: sender,
    number and template; then the template's variables (prefilled from a known contact)."""
    form = NewTemplateConversationForm(
        request.POST or None, user=request.user, initial=request.GET.dict()
    )
    template_form = None
    if request.method == "POST" and form.is_valid():
        template = form.cleaned_data["template"]
        if request.POST.get("step") == "send":
            template_form = TemplateSendForm(request.POST, template=template)
            template_form.is_valid()
            try:
                conversation, _ = conversation_start_with_template(
                    user=request.user,
                    sender=form.cleaned_data["sender"],
                    phone=form.cleaned_data["phone"],
                    template=template,
                    values=template_form.values(),
                    idempotency_key=template_form.cleaned_data.get("idempotency_key"),
                    consent_source=form.cleaned_data["consent"],
                )
            except SendRefused as refused:
                form.add_error(None, str(refused))
            else:
                return redirect("inbox:conversation", public_id=conversation.public_id)
        else:
            contact = Contact.objects.filter(contact_at_q(form.cleaned_data["phone"])).first()
            values = (
                template_values_from_contact(template=template, contact=contact) if contact else {}
            )
            template_form = TemplateSendForm(template=template, values=values)
    return render(
        request,
        "inbox/new_template_conversation.html",
        {"form": form, "template_form": template_form},
        status=422 if form.errors else 200,
    )
