"""Saving and deleting rules (admins) and macros (admins share; anyone keeps their own)."""

from django.db import transaction

from inbox.models import User

from .models import Macro, Rule
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
