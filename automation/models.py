"""Rules (an event, conditions, actions, in an order), their runs, and macros.

Conditions are a dict (``automation.conditions``), actions a list of dicts
(``automation.actions``): both are checked when saved and read back as they were saved.
"""

from django.db import models

from inbox.happenings import Happening
from inbox.models import Conversation, SenderId, User
from inbox.models.ids import new_public_id

# The inbox's happenings, and one the clock brings: a customer waiting for ``after_minutes``.
UNANSWERED = "unanswered"
EVENTS = [*Happening.choices, (UNANSWERED, "Nobody has answered for N minutes")]


class Rule(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    event = models.CharField(max_length=32, choices=EVENTS)
    after_minutes = models.PositiveIntegerField(default=0)  # for UNANSWERED
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # The admin whose rights the rule acts with: every action passes their checks.
    acts_as = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    runs = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["event", "is_active"], name="rule_event_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def event_text(self) -> str:
        if self.event == UNANSWERED:
            return f"Nobody has answered for {self.after_minutes} min"
        return self.get_event_display()


class RuleRun(models.Model):
    """One rule's run on one event: claimed before acting, so a retried task never acts
    twice (the unique key), and listed on the rule's page."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="run_log")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=64)
    outcome = models.CharField(max_length=500, blank=True)
    failed = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "event_key"], name="rule_run_once_per_event")
        ]
        indexes = [models.Index(fields=["rule", "-at"], name="rule_run_recent_idx")]


class Macro(models.Model):
    """A named list of actions an agent runs on a conversation in one click. Shared (no
    owner, managed by admins) or personal."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    actions = models.JSONField(default=list)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class WebhookDelivery(models.Model):
    """One outgoing webhook call and how it went: the delivery log."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    url = models.URLField(max_length=500)
    payload = models.JSONField()
    source = models.CharField(max_length=100)  # "Rule VIP to Alice", "Macro Escalate"
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="webhook_recent_idx")]


class WebhookSubscription(models.Model):
    """The organisation's subscription to events: each one is POSTed to ``url`` (signed, like
    a rule's webhook action)."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # Happening values
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class BotFlow(models.Model):
    """A bot that answers first on one sender ID (F-AU5): its steps, the words that reach a
    person, and what it says when it hands over or does not understand.

    The steps are a list of dicts in one JSON column, checked by ``bot_steps.clean_step``
    (each step) and ``bot_steps.flow_problems`` (the flow whole) on every save; see
    ``automation.bot_steps`` for why JSON and not a row per step.
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    sender = models.OneToOneField(SenderId, on_delete=models.PROTECT, related_name="bot_flow")
    steps = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=False)
    # Comma-separated words or phrases: any of them in a customer message reaches a person.
    handover_words = models.CharField(max_length=300, default="agent, human, person")
    handover_reply = models.TextField(
        blank=True, default="Thank you. A person will answer you here shortly."
    )
    misunderstood_reply = models.TextField(
        default="Sorry, I did not understand. Please answer with one of the numbers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def step(self, key: str) -> dict | None:
        return next((step for step in self.steps if step.get("key") == key), None)


class BotSession(models.Model):
    """Where the bot is in one conversation: the step waiting for the customer's answer,
    what was collected, how many answers it did not understand in a row, and the newest
    customer message answered (a retried task answers nothing twice)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="bot_session"
    )
    flow = models.ForeignKey(BotFlow, on_delete=models.CASCADE, related_name="sessions")
    step = models.CharField(max_length=40, blank=True)  # "" while no question waits
    answers = models.JSONField(default=list, blank=True)  # [{"q": …, "a": …, "field": …}]
    misses = models.PositiveSmallIntegerField(default=0)
    last_message_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
