from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from .contacts import Contact, ContactIdentity, Label
from .ids import new_public_id
from .people import Team, User
from .senders import SenderId


class IsFalse(Func):
    output_field = models.BooleanField()
    template = "(%(expressions)s) IS FALSE"


def tally_moved_q() -> Q:
    """Conversations whose owner changed since the report's day tally counted their messages
    (``tallied_owner``). Written as ``… IS FALSE``, the form PostgreSQL estimates from the
    extended statistics the migration creates on the comparison (a handful of rows)."""
    return Q(IsFalse(Exact(F("tallied_owner"), Coalesce("owner", 0))))


class Conversation(models.Model):
    """One thread per customer address per sender ID (F-CV1), never deleted (F-CV10).

    A conversation is with one of the contact's identities (``identity``: a number, a
    WhatsApp number, an e-mail address…) on one sender ID. ``customer_address`` is that
    identity's address, kept on the row so that lists, sends and the unique constraint read
    no other table; it is the address the thread started with and stays when contacts are
    merged (F-CT4), so replies go where the customer wrote from.

    The summary columns (``last_*``, ``waiting_since``) are maintained by the services so
    that inbox lists never read the messages table.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        CLOSED = "closed", "Closed"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    sender_id = models.ForeignKey(SenderId, on_delete=models.PROTECT, related_name="conversations")
    # Empty only on a thread whose customer had no address at all when it was migrated.
    identity = models.ForeignKey(
        ContactIdentity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    # The identity's address as the channel writes it: E.164 (or the short code a customer
    # wrote from) for SMS and WhatsApp.
    customer_address = models.CharField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_conversations"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    # Who a customer's next message goes to on a shared line (F-CV3): the user who sent the
    # latest outgoing message, or who was assigned the conversation since.
    last_sender = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    last_message_preview = models.CharField(max_length=140, blank=True)
    last_message_direction = models.CharField(max_length=8, blank=True)
    # Set when the customer wrote and nobody has answered yet; cleared by a reply.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # Computed from the business hours when the customer writes (F-CV5 counts open time
    # only): when the wait starts to count, and when it becomes soon overdue and overdue.
    waiting_counts_from = models.DateTimeField(null=True, blank=True)
    soon_overdue_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # When it closes by itself: AUTO_CLOSE_AFTER_SECONDS of open time after the customer's
    # latest message (null on rows from before business hours: counted from that message).
    auto_close_at = models.DateTimeField(null=True, blank=True)
    # When the latest out-of-hours auto-reply went: one per closed period (F-AU2).
    out_of_hours_replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Report summaries (``inbox.reports.metrics``): when the customer first wrote, and the
    # first message a person sent after that.
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Whether the sender ID's business hours were closed at ``first_inbound_at``, decided
    # once when it is recorded. False on conversations opened before this was kept.
    opened_after_hours = models.BooleanField(default=False, db_default=False)
    # The owner (its id, 0 for none) the report's day tally counts this conversation's
    # messages under; ``tally_owners_settle`` moves them when the owner has changed since.
    tallied_owner = models.IntegerField(default=0, db_default=0, editable=False)
    # Bumped by every change a viewer of the thread should see (messages, ticks, events):
    # live polling compares against it and answers 204 when nothing changed.
    changed_at = models.DateTimeField(auto_now_add=True)
    # Labels on the conversation itself (F-CV12); the contact has its own.
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    # Snooze (F-CO3): set while the conversation is hidden from its snoozer's My Inbox.
    # ``snoozed_until`` empty means "until the customer writes"; a customer message always
    # ends a snooze.
    snoozed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # In the lists (a sender ID's, All, Sent, a report's conversations): false on a thread a
    # campaign started, until the customer answers or an agent writes in it. A campaign
    # message opens no conversation in anyone's inbox; a reply does.
    listed = models.BooleanField(default=True, db_default=True)
    # A bot has the conversation (F-AU5): the customer talks to it, nobody waits for a person
    # and no list counts it unread, until it hands over or a person replies.
    with_bot = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender_id", "customer_address"], name="one_conversation_per_sender_address"
            )
        ]
        indexes = [
            # My Inbox: my conversations that have an inbound message, newest first.
            models.Index(
                fields=["owner", "-last_activity_at", "-id"],
                name="conv_owner_activity_idx",
                condition=Q(last_inbound_at__isnull=False),
            ),
            # Unread counts, read index-only (``selectors.counts``): what they count of each
            # conversation (its sender ID, owner, last inbound time, and whether a bot has
            # it, which no count counts) by each way into a user's sight: mine (and an
            # admin's everything), a sender ID's, a team's.
            models.Index(
                fields=["owner", "id"],
                include=["sender_id", "last_inbound_at", "with_bot"],
                condition=Q(last_inbound_at__isnull=False),
                name="conv_owner_unread_idx",
            ),
            models.Index(
                fields=["sender_id", "id"],
                include=["owner", "last_inbound_at", "with_bot"],
                condition=Q(last_inbound_at__isnull=False),
                name="conv_sender_unread_idx",
            ),
            models.Index(
                fields=["team", "id"],
                include=["sender_id", "owner", "last_inbound_at", "with_bot"],
                condition=Q(last_inbound_at__isnull=False),
                name="conv_team_unread_idx",
            ),
            # Sender ID inbox, listed threads only: a campaign's 100,000 unanswered threads
            # are not walked past to reach the conversations.
            models.Index(
                fields=["sender_id", "-last_activity_at", "-id"],
                name="conv_sender_listed_idx",
                condition=Q(listed=True),
            ),
            # Team and all-conversations views.
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="conv_listed_activity_idx",
                condition=Q(listed=True),
            ),
            # Waiting-state sweeps.
            models.Index(
                fields=["waiting_since"],
                name="conv_waiting_idx",
                condition=Q(waiting_since__isnull=False),
            ),
            models.Index(
                fields=["auto_close_at"],
                name="conv_autoclose_at_idx",
                condition=~Q(status="closed") & Q(auto_close_at__isnull=False),
            ),
            # Live polling: "has anything I can see changed since T?".
            models.Index(fields=["changed_at"], name="conv_changed_idx"),
            # The Snoozed view: what I snoozed.
            models.Index(
                fields=["snoozed_by", "-last_activity_at", "-id"],
                name="conv_snoozed_by_idx",
                condition=Q(snoozed_by__isnull=False),
            ),
            # The wake-up sweep: snoozes whose time has come.
            models.Index(
                fields=["snoozed_until"],
                name="conv_snoozed_until_idx",
                condition=Q(snoozed_until__isnull=False),
            ),
            # Reports: conversations opened in a period.
            models.Index(
                fields=["first_inbound_at"],
                include=["first_response_at", "sender_id", "owner", "team", "status"],
                name="conv_first_inbound_idx",
                condition=Q(first_inbound_at__isnull=False),
            ),
            # Reassigned since the report's day tally counted its messages.
            models.Index(fields=["id"], name="conv_tally_moved_idx", condition=tally_moved_q()),
            # Auto-close sweep over conversations that are not closed yet.
            models.Index(
                fields=["last_inbound_at"],
                name="conv_autoclose_idx",
                condition=~Q(status="closed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} via {self.sender_id.address}"

    def save(self, *args, **kwargs) -> None:
        if self.identity_id is None and self.contact_id is not None:
            self.identity = self._main_identity()
        if not self.customer_address and self.identity_id is not None:
            self.customer_address = self.identity.address
        super().save(*args, **kwargs)

    def _main_identity(self) -> ContactIdentity | None:
        """A conversation created with only a contact is with the contact's phone number, as
        its channel's kind of identity (the services always name the identity)."""
        from ..channels import channel_rules

        address = self.contact.phone_e164
        if not address:
            return None
        kind = channel_rules(self.sender_id.channel).identity_kind
        identity, _ = ContactIdentity.objects.get_or_create(
            kind=kind, address=address, defaults={"contact": self.contact}
        )
        return identity


class Participation(models.Model):
    """A user's part in a conversation: joined it (teams) and/or sent in it (Sent Messages)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="participations")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participations"
    )
    joined_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_participation")
        ]
        indexes = [
            # The Sent list, and its unread count (index-only: the conversation is here).
            models.Index(
                fields=["user", "-last_sent_at"],
                include=["conversation"],
                name="participation_sent_idx",
                condition=Q(last_sent_at__isnull=False),
            ),
            # "Has anyone joined?" for every row of a list: a probe, not a table scan.
            models.Index(
                fields=["conversation"],
                name="participation_joined_idx",
                condition=Q(joined_at__isnull=False),
            ),
        ]


class ReadState(models.Model):
    """Per-user read mark: the conversation is unread when last_inbound_at > last_read_at."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="read_states")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_states"
    )
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_read_state")
        ]
        # The unread count's other side: my read marks, read index-only.
        indexes = [
            models.Index(
                fields=["user", "conversation"],
                include=["last_read_at"],
                name="readstate_user_read_idx",
            )
        ]


class ConversationEvent(models.Model):
    """Something that happened in a thread besides a message: shown between messages."""

    class Kind(models.TextChoices):
        NOTE = "note", "Private note"
        ASSIGNED = "assigned", "Assigned"
        STATUS = "status", "Status changed"
        OPTED_OUT = "opted_out", "Opted out"
        OPTED_IN = "opted_in", "Opted in"
        JOINED = "joined", "Joined"
        LEFT = "left", "Left"
        EXPORTED = "exported", "Exported"
        CONTACT = "contact", "Contact changed"
        LABELS = "labels", "Labels changed"
        SNOOZED = "snoozed", "Snoozed"
        WOKE = "woke", "Back from snooze"
        CONSENT = "consent", "WhatsApp consent"
        HELD_CANCELLED = "held_cancelled", "Cancelled before business hours"
        MERGED = "merged", "Contacts merged"
        AUTOMATION = "automation", "Automation"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "created_at"], name="event_thread_idx")]
