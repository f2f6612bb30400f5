"""Automation pages: rules (admins), macros (everyone), and running a macro from the
conversation window."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inbox.access import ConversationTaken, conversation_for
from inbox.models import Conversation
from inbox.views.hours import admin_only
from inbox.views.window import thread_response

from .actions import names_for_actions, would
from .conditions import describe
from .forms import MacroForm, RuleForm, SubscriptionForm
from .managing import Refused, macro_delete, macro_save, may_manage_macro, rule_delete, rule_save
from .models import EVENTS, UNANSWERED, Macro, Rule, WebhookDelivery, WebhookSubscription
from .selectors import macros_for, rule_recent_deliveries, rule_recent_runs, rules_listed
from .services import macro_run, rule_try
from .subscriptions import subscription_add, subscription_delete

TRY_CHOICES = 30
RECENT_DELIVERIES = 30


def _rule(public_id: str) -> Rule:
    rule = Rule.objects.select_related("acts_as").filter(public_id=public_id).first()
    if rule is None:
        raise Http404("No such rule")
    return rule


@require_GET
@admin_only
def rules_list(request: HttpRequest) -> HttpResponse:
    names = names_for_actions()
    rows = [
        {
            "rule": rule,
            "when": describe(rule.conditions, names),
            "then": ", ".join(would(action, names) for action in rule.actions),
        }
        for rule in rules_listed()
    ]
    return render(request, "automation/rules.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@admin_only
def rule_edit(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    rule = _rule(public_id) if public_id else None
    initial = RuleForm.initial_for(rule) if rule else {}
    form = RuleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        rule = rule_save(
            by=request.user,
            rule=rule,
            name=d["name"],
            event=d["event"],
            after_minutes=d["after_minutes"] if d["event"] == UNANSWERED else 0,
            position=d["position"],
            is_active=d["is_active"],
            conditions=form.conditions(),
            actions=form.actions(),
        )
        return redirect("automation:rule", public_id=rule.public_id)
    context = {"form": form, "rule": rule, **(_rule_facts(rule) if rule else {})}
    return render(request, "automation/rule.html", context, status=422 if form.errors else 200)


def _rule_facts(rule: Rule) -> dict:
    recent = (
        Conversation.objects.filter(listed=True)
        .select_related("contact")
        .order_by("-last_activity_at", "-pk")
    )
    return {
        "runs": rule_recent_runs(rule),
        "deliveries": rule_recent_deliveries(rule),
        "try_choices": recent[:TRY_CHOICES],
    }


@require_POST
@admin_only
def rule_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    rule_delete(by=request.user, rule=_rule(public_id))
    return redirect("automation:rules")


@require_GET
@admin_only
def rule_try_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """A dry run on a past conversation (``conversation``: its public id or its link)."""
    rule = _rule(public_id)
    raw = request.GET.get("conversation", "").strip().rstrip("/").rsplit("/", 1)[-1]
    conversation = Conversation.objects.filter(public_id=raw).first() if raw else None
    context = {"rule": rule, "tried": conversation}
    if conversation is None:
        context["try_error"] = "Choose a conversation, or paste its link."
    else:
        context["trial"] = rule_try(rule=rule, conversation=conversation)
    template = "automation/partials/trial.html" if request.htmx else "automation/trial_page.html"
    return render(request, template, context, status=200 if conversation else 422)


def _macro(user, public_id: str) -> Macro:
    macro = macros_for(user).filter(public_id=public_id).first()
    if macro is None:
        raise Http404("No such macro")
    return macro


@require_GET
@login_required
def macros_list(request: HttpRequest) -> HttpResponse:
    names = names_for_actions()
    rows = [
        {
            "macro": macro,
            "then": ", ".join(would(action, names) for action in macro.actions),
            "manageable": may_manage_macro(request.user, macro),
        }
        for macro in macros_for(request.user)
    ]
    return render(request, "automation/macros.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def macro_edit(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    macro = _macro(request.user, public_id) if public_id else None
    if macro is not None and not may_manage_macro(request.user, macro):
        raise Http404("No such macro")
    initial = (
        {"name": macro.name, "shared": macro.is_shared, **MacroForm.initial_from(macro.actions)}
        if macro
        else {}
    )
    form = MacroForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            macro_save(
                by=request.user,
                macro=macro,
                name=form.cleaned_data["name"],
                shared=form.cleaned_data.get("shared", False),
                actions=form.actions(),
            )
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("automation:macros")
    context = {"form": form, "macro": macro}
    return render(request, "automation/macro.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def macro_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        macro_delete(by=request.user, macro=_macro(request.user, public_id))
    except Refused as refused:
        raise Http404("No such macro") from refused
    return redirect("automation:macros")


@require_GET
@login_required
def macro_menu(request: HttpRequest, public_id: str) -> HttpResponse:
    """The macros the agent may run on this conversation (the window loads it on opening
    its Macros menu; a page of its own without JavaScript)."""
    try:
        conversation = conversation_for(request.user, public_id)
    except ConversationTaken as gone:
        raise Http404("No such conversation") from gone
    context = {"conversation": conversation, "macros": list(macros_for(request.user))}
    if request.htmx:
        return render(request, "automation/partials/macro_menu.html", context)
    return render(request, "automation/menu_page.html", context)


@require_POST
@login_required
def macro_run_view(request: HttpRequest, public_id: str, macro_id: str) -> HttpResponse:
    try:
        conversation = conversation_for(request.user, public_id)
    except ConversationTaken as gone:
        raise Http404("No such conversation") from gone
    macro = _macro(request.user, macro_id)
    _, error = macro_run(macro=macro, conversation=conversation, by=request.user)
    return thread_response(request, conversation, error=error, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
@admin_only
def webhooks_page(request: HttpRequest) -> HttpResponse:
    """The organisation's webhook subscriptions, a form to add one, and the delivery log."""
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscription_add(
            by=request.user, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
        )
        return redirect("automation:webhooks")
    names = dict(EVENTS)
    context = {
        "form": form,
        "subscriptions": [
            (s, ", ".join(names.get(e, e) for e in s.events))
            for s in WebhookSubscription.objects.order_by("pk")
        ],
        "deliveries": WebhookDelivery.objects.order_by("-created_at", "-pk")[:RECENT_DELIVERIES],
    }
    return render(request, "automation/webhooks.html", context, status=422 if form.errors else 200)


@require_POST
@admin_only
def webhook_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    subscription = WebhookSubscription.objects.filter(public_id=public_id).first()
    if subscription is None:
        raise Http404("No such subscription")
    subscription_delete(by=request.user, subscription=subscription)
    return redirect("automation:webhooks")
