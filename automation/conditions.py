"""A rule's conditions: every one given must hold (an empty one is not checked).

Stored as a dict: ``channel``, ``sender`` (a sender ID's pk), ``team`` (a team's pk),
``hours`` ("open" or "closed"), ``status``, ``contact_label``, ``field`` and
``field_value`` (a custom field's key and the value it must have), ``words`` (space
separated) with ``words_mode`` ("any" or "all"), ``waiting`` ("waiting", "not_waiting" or
a waiting state: "pending", "soon_overdue", "overdue"). Checked in memory against ``Facts``:
no query, however many rules.
"""

from inbox.waiting import waiting_of

from .facts import Facts

KEYS = (
    "channel",
    "sender",
    "team",
    "hours",
    "status",
    "contact_label",
    "field",
    "field_value",
    "words",
    "words_mode",
    "waiting",
)
WAITING = [
    ("", "Any"),
    ("waiting", "Waiting for an answer"),
    ("not_waiting", "Not waiting"),
    ("pending", "Pending"),
    ("soon_overdue", "Soon overdue"),
    ("overdue", "Overdue"),
]


def holds(conditions: dict, facts: Facts) -> bool:
    c = facts.conversation
    if (want := conditions.get("channel")) and c.sender_id.channel != want:
        return False
    if (want := conditions.get("sender")) and c.sender_id_id != want:
        return False
    if (want := conditions.get("team")) and c.team_id != want:
        return False
    if (want := conditions.get("status")) and c.status != want:
        return False
    if (want := conditions.get("contact_label")) and want.casefold() not in facts.contact_labels:
        return False
    if (key := conditions.get("field")) and facts.fields.get(key, "").strip().casefold() != (
        conditions.get("field_value", "").strip().casefold()
    ):
        return False
    if words := conditions.get("words", "").casefold().split():
        found = [word in facts.words for word in words]
        if not (all(found) if conditions.get("words_mode") == "all" else any(found)):
            return False
    if (want := conditions.get("waiting")) and _waiting(facts) not in _WAITING_MATCH[want]:
        return False
    want = conditions.get("hours")
    return not want or facts.hours_open == (want == "open")


_WAITING_MATCH = {
    "waiting": {"pending", "soon_overdue", "overdue"},
    "not_waiting": {"not_waiting"},
    "pending": {"pending"},
    "soon_overdue": {"soon_overdue"},
    "overdue": {"overdue"},
}


def _waiting(facts: Facts) -> str:
    # Rep needed is not a condition, so whether anyone joined is not read (no query).
    waiting = waiting_of(conversation=facts.conversation, anyone_joined=True, now=facts.at)
    return waiting.state.value if waiting.state else "not_waiting"


def describe(conditions: dict, names: dict[str, str]) -> str:
    """The conditions in words ("when the contact has the label vip"), for the rule list.
    ``names`` maps "sender:<pk>" and "team:<pk>" to what people call them."""
    parts = []
    if want := conditions.get("channel"):
        parts.append(f"on {want}")
    if want := conditions.get("sender"):
        parts.append(f"on {names.get(f'sender:{want}', 'a removed sender ID')}")
    if want := conditions.get("team"):
        parts.append(f"in the team {names.get(f'team:{want}', '(removed)')}")
    if want := conditions.get("hours"):
        parts.append(f"while business hours are {want}")
    if want := conditions.get("status"):
        parts.append(f"when it is {want}")
    if want := conditions.get("waiting"):
        parts.append(f"when it is {dict(WAITING)[want].lower()}")
    if want := conditions.get("contact_label"):
        parts.append(f"when the contact has the label {want}")
    if key := conditions.get("field"):
        parts.append(f"when {key} is {conditions.get('field_value', '')!r}")
    if words := conditions.get("words"):
        mode = "all of" if conditions.get("words_mode") == "all" else "any of"
        parts.append(f"when the message has {mode} {words!r}")
    return ", ".join(parts) or "always"
