"""Reading rules and macros for the pages."""

from django.db.models import Q, QuerySet

from inbox.models import User

from .models import Macro, Rule, RuleRun, WebhookDelivery

RECENT_RUNS = 20


def rules_listed() -> QuerySet[Rule]:
    return Rule.objects.select_related("acts_as").order_by("position", "pk")


def rule_recent_runs(rule: Rule) -> list[RuleRun]:
    return list(
        RuleRun.objects.filter(rule=rule)
        .select_related("conversation__contact")
        .order_by("-at", "-pk")[:RECENT_RUNS]
    )


def rule_recent_deliveries(rule: Rule) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(rule=rule).order_by("-created_at", "-pk")[:20])


def macros_for(user: User) -> QuerySet[Macro]:
    """The macros ``user`` may run: the shared ones and their own."""
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user)).order_by("name", "pk")
