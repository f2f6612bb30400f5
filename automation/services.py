"""Running rules on what happens to a conversation, trying them, and running macros.

Rules run in the worker (``tasks.run_rules``), never in the request or webhook that caused
the event. Evaluating them costs a fixed number of queries however many rules there are
(the rules' conditions in one query, read as plain values; ``facts_for`` reads the
conversation once; conditions are checked in memory); only the rules that match cost a
query more (read whole) and the queries of their actions.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inbox.happenings import caused_by
from inbox.models import Conversation, ConversationEvent, User

from .actions import ActionFailed, Origin, act, names_for_actions, would
from .conditions import holds
from .facts import facts_for, latest_customer_message
from .models import UNANSWERED, Macro, Rule, RuleRun

log = logging.getLogger(__name__)

# How far back the clock's sweep looks for a wait that reached a rule's minutes: a stopped
# beat catches up on this much; the run's key keeps each waiting period to one run.
UNANSWERED_WINDOW = timedelta(minutes=30)
UNANSWERED_BATCH = 500

# A chain of rules triggering one another stops here even without a repeat.
MAX_CHAIN = 8
EVENTS_KEY = "automation:events-with-rules"


def events_with_rules() -> frozenset[str]:
    """The events some active rule listens to (cached across processes until a rule
    changes), so that an event nobody listens to queues no task."""
    cache = caches["shared"]
    events = cache.get(EVENTS_KEY)
    if events is None:
        # A sorted list: the shared cache on Redis stores JSON.
        events = sorted(set(Rule.objects.filter(is_active=True).values_list("event", flat=True)))
        cache.set(EVENTS_KEY, events, timeout=None)
    return frozenset(events)


def rules_changed() -> None:
    caches["shared"].delete(EVENTS_KEY)


def _thread_line(conversation: Conversation, *, text: str, actor: User | None) -> None:
    ConversationEvent.objects.create(
        conversation=conversation, kind=ConversationEvent.Kind.AUTOMATION, actor=actor, body=text
    )
    Conversation.objects.filter(pk=conversation.pk).update(changed_at=timezone.now())


def _perform(
    conversation: Conversation, actions: list[dict], *, by: User, origin: Origin
) -> tuple[list[str], str]:
    """Do ``actions`` in order as ``by``, stopping at the first refused; return what was
    done (in words) and the refusal ("" when none)."""
    done: list[str] = []
    for number, action in enumerate(actions):
        key = f"{origin.key}:{number}" if origin.key else None
        try:
            if text := act(conversation, action, by=by, origin=replace(origin, key=key)):
                done.append(text)
        except ActionFailed as failed:
            return done, str(failed)
        conversation.refresh_from_db()
    return done, ""


def _acting_user(rule: Rule) -> User | None:
    user = rule.acts_as
    return user if user.is_active and user.is_admin else None


def rules_run(
    *,
    event: str,
    conversation_id: int,
    message_id: int | None,
    cause: tuple[int, ...],
    event_key: str,
    only: int | None = None,
) -> list[int]:
    """Run the active rules for ``event`` whose conditions hold, in their order, each at
    most once per ``event_key``; return the ids of the rules that ran.

    ``cause`` is the chain of rules whose actions caused the event: a rule in it is not run
    again (the loop is cut and logged), and events caused through it carry it further.
    ``only`` limits the run to one rule (the clock's events are due rule by rule).
    """
    listening = Rule.objects.filter(event=event, is_active=True)
    if only is not None:
        listening = listening.filter(pk=only)
    # Only what checking needs: the rules that match (few) are read whole afterwards.
    checks = list(listening.order_by("position", "pk").values_list("pk", "conditions"))
    if not checks:
        return []
    facts = facts_for(conversation_id=conversation_id, message_id=message_id)
    if facts is None:
        return []
    matching = [pk for pk, conditions in checks if holds(conditions, facts)]
    if not matching:
        return []
    found = Rule.objects.select_related("acts_as").filter(pk__in=matching, is_active=True)
    by_pk = {rule.pk: rule for rule in found}
    ran = []
    for rule in (by_pk[pk] for pk in matching if pk in by_pk):
        if rule.pk in cause or len(cause) >= MAX_CHAIN:
            log.warning(
                "automation loop cut: rule %s (%s) not run again on %s of %s (chain %s)",
                rule.pk,
                rule.name,
                event,
                facts.conversation.public_id,
                list(cause),
            )
            continue
        try:
            with transaction.atomic():
                run = RuleRun.objects.create(
                    rule=rule, conversation=facts.conversation, event_key=event_key
                )
        except IntegrityError:
            continue  # a retried task: this rule already ran on this event
        ran.append(rule.pk)
        _rule_act(rule, run, facts.conversation, cause, event)
    return ran


def _rule_act(
    rule: Rule, run: RuleRun, conversation: Conversation, cause: tuple, event: str
) -> None:
    by = _acting_user(rule)
    if by is None:
        done, error = [], f"{rule.acts_as} is no longer an active admin; the rule acts as them"
    else:
        with caused_by((*cause, rule.pk)):
            origin = Origin(
                source=f"Rule {rule.name}", event=event, rule_id=rule.pk, key=f"rule:{run.pk}"
            )
            done, error = _perform(conversation, rule.actions, by=by, origin=origin)
    if done:
        _thread_line(conversation, text=f"Rule {rule.name} {', '.join(done)}", actor=None)
    if error:
        _thread_line(conversation, text=f"Rule {rule.name} could not act: {error}", actor=None)
    outcome = "; ".join(filter(None, [", ".join(done), error and f"error: {error}"]))
    RuleRun.objects.filter(pk=run.pk).update(outcome=outcome[:500], failed=bool(error))
    Rule.objects.filter(pk=rule.pk).update(
        runs=F("runs") + 1,
        errors=F("errors") + (1 if error else 0),
        last_run_at=timezone.now(),
        **({"last_error": error[:300]} if error else {}),
    )


def unanswered_sweep(*, now: datetime) -> int:
    """Run each active "nobody answered" rule on the open conversations whose customer has
    waited its minutes (wall-clock) since their first unanswered message; once per waiting
    period (the key holds ``waiting_since``). Returns how many rule runs were tried."""
    tried = 0
    for rule in Rule.objects.filter(event=UNANSWERED, is_active=True, after_minutes__gt=0):
        reached = now - timedelta(minutes=rule.after_minutes)
        due = (
            Conversation.objects.exclude(status=Conversation.Status.CLOSED)
            .filter(waiting_since__lte=reached, waiting_since__gt=reached - UNANSWERED_WINDOW)
            .values_list("pk", "waiting_since")[:UNANSWERED_BATCH]
        )
        for pk, since in due:
            rules_run(
                event=UNANSWERED,
                conversation_id=pk,
                message_id=None,
                cause=(),
                event_key=f"unanswered:{since.timestamp():.6f}",
                only=rule.pk,
            )
            tried += 1
    return tried


@dataclass(frozen=True)
class Trial:
    """What a rule would do on a conversation: whether its conditions hold, and the actions
    in words ("would assign to Alice, would add vip")."""

    matches: bool
    actions: list[str]


def rule_try(*, rule: Rule, conversation: Conversation) -> Trial:
    """Check ``rule`` against ``conversation`` as it is now (with its newest customer
    message as the message), changing nothing."""
    facts = facts_for(
        conversation_id=conversation.pk, message_id=latest_customer_message(conversation)
    )
    assert facts is not None  # the caller just read it
    names = names_for_actions()
    return Trial(
        matches=holds(rule.conditions, facts),
        actions=[would(action, names) for action in rule.actions],
    )


def macro_run(*, macro: Macro, conversation: Conversation, by: User) -> tuple[list[str], str]:
    """Run ``macro`` on ``conversation`` as ``by`` (who may see it: the caller checked),
    recorded in the thread; return what was done and the refusal that stopped it."""
    origin = Origin(source=f"Macro {macro.name}", event="macro")
    done, error = _perform(conversation, macro.actions, by=by, origin=origin)
    text = f"Macro {macro.name} " + (", ".join(done) if done else "did nothing")
    if error:
        text += f"; stopped: {error}"
    _thread_line(conversation, text=text, actor=by)
    return done, error
