"""Saving and deleting rules (admins), macros (admins share; anyone keeps their own) and
bot flows (admins)."""

from django.db import transaction

from inbox.models import Conversation, SenderId, User
from inbox.services.bot import conversation_bot_hand_over

from .bot import bots_changed
from .bot_steps import clean_step, flow_problems, step_put
from .models import BotFlow, Macro, Rule
from .services import rules_changed


class Refused(Exception):
    """A change the person may not make; the message is for them."""


def rule_save(
    *,
    by: User,
    name: str,
    event: str,
    position: int,
    is_active: bool,
    conditions: dict,
    actions: list[dict],
    rule: Rule | None = None,
    after_minutes: int = 0,
) -> Rule:
    """Create or change a rule; it acts with ``by``'s rights from then on."""
    if not by.is_admin:
        raise Refused("Only admins manage rules.")
    rule = rule or Rule()
    rule.name, rule.event, rule.position, rule.is_active = name.strip(), event, position, is_active
    rule.conditions, rule.actions, rule.acts_as = conditions, actions, by
    rule.after_minutes = after_minutes
    with transaction.atomic():
        rule.save()
        transaction.on_commit(rules_changed)
    return rule


def rule_delete(*, by: User, rule: Rule) -> None:
    if not by.is_admin:
        raise Refused("Only admins manage rules.")
    rule.delete()
    rules_changed()


def may_manage_macro(user: User, macro: Macro) -> bool:
    return user.is_admin if macro.is_shared else macro.owner_id == user.pk


def macro_save(
    *, by: User, name: str, shared: bool, actions: list[dict], macro: Macro | None = None
) -> Macro:
    if shared and not by.is_admin:
        raise Refused("Only admins share macros with everyone.")
    if macro is not None and not may_manage_macro(by, macro):
        raise Refused("You cannot change this macro.")
    macro = macro or Macro()
    macro.name, macro.actions, macro.owner = name.strip(), actions, None if shared else by
    macro.save()
    return macro


def macro_delete(*, by: User, macro: Macro) -> None:
    if not may_manage_macro(by, macro):
        raise Refused("You cannot delete this macro.")
    macro.delete()


def _bots_admin(by: User) -> None:
    if not by.is_admin:
        raise Refused("Only admins manage bots.")


def _flow_store(flow: BotFlow, *, old_sender_id: int | None = None) -> BotFlow:
    """Save ``flow`` and tell the inbox which lines a bot answers (``bot_answers``)."""
    if flow.is_active and (problems := flow_problems(flow.steps)):
        raise Refused("The bot cannot be on: " + " ".join(problems))
    with transaction.atomic():
        flow.save()
        if old_sender_id and old_sender_id != flow.sender_id:
            SenderId.objects.filter(pk=old_sender_id).update(bot_answers=False)
        SenderId.objects.filter(pk=flow.sender_id).update(bot_answers=flow.is_active)
        if not flow.is_active:
            _release_talks(flow.sender_id, flow.name)
        if old_sender_id and old_sender_id != flow.sender_id:
            _release_talks(old_sender_id, flow.name)
        transaction.on_commit(bots_changed)
    return flow


def _release_talks(sender_id: int, name: str) -> None:
    """Hand the conversations a bot has on a line over to people: the bot stops there."""
    talks = Conversation.objects.filter(sender_id=sender_id, with_bot=True)
    for pk in talks.values_list("pk", flat=True):
        conversation_bot_hand_over(
            conversation_id=pk, note=f"Bot {name} was switched off: handed over.", bot=name
        )


def bot_flow_save(
    *,
    by: User,
    name: str,
    sender: SenderId,
    is_active: bool,
    handover_words: str,
    handover_reply: str,
    misunderstood_reply: str,
    flow: BotFlow | None = None,
) -> BotFlow:
    """Create or change a bot flow's settings (its steps are saved one by one); a flow is
    switched on only when every step it names exists. Raises Refused."""
    _bots_admin(by)
    taken = BotFlow.objects.filter(sender=sender).exclude(pk=flow.pk if flow else None)
    if taken.exists():
        raise Refused(f"{sender} already has a bot; one bot answers on a line.")
    flow = flow or BotFlow()
    old_sender_id = flow.sender_id if flow.pk else None
    flow.name, flow.sender, flow.is_active = name.strip(), sender, is_active
    flow.handover_words = ", ".join(w.strip() for w in handover_words.split(",") if w.strip())
    flow.handover_reply, flow.misunderstood_reply = (
        handover_reply.strip(),
        misunderstood_reply.strip(),
    )
    return _flow_store(flow, old_sender_id=old_sender_id)


def bot_step_save(*, by: User, flow: BotFlow, step: dict, replacing: str | None = None) -> BotFlow:
    """Add ``step`` to ``flow`` (or put it in place of the step ``replacing``). Raises
    StepInvalid for a step that cannot be, Refused for a change that would break a bot
    that is on."""
    _bots_admin(by)
    flow.steps = step_put(flow.steps, clean_step(step), replacing=replacing)
    return _flow_store(flow)


def bot_step_delete(*, by: User, flow: BotFlow, key: str) -> BotFlow:
    _bots_admin(by)
    flow.steps = [step for step in flow.steps if step["key"] != key]
    return _flow_store(flow)


def bot_step_move(*, by: User, flow: BotFlow, key: str, up: bool) -> BotFlow:
    """Move a step one place up or down (the first step is where the bot starts)."""
    _bots_admin(by)
    keys = [step["key"] for step in flow.steps]
    if key in keys:
        at = keys.index(key)
        to = at - 1 if up else at + 1
        if 0 <= to < len(keys):
            steps = list(flow.steps)
            steps[at], steps[to] = steps[to], steps[at]
            flow.steps = steps
    return _flow_store(flow)


def bot_flow_delete(*, by: User, flow: BotFlow) -> None:
    _bots_admin(by)
    with transaction.atomic():
        SenderId.objects.filter(pk=flow.sender_id).update(bot_answers=False)
        _release_talks(flow.sender_id, flow.name)
        flow.delete()
        transaction.on_commit(bots_changed)
