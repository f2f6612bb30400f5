"""Load the demo organisation; running it again changes nothing."""

import random
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from inbox.models import (
    Channel,
    Contact,
    Conversation,
    CustomField,
    Holiday,
    HoursMode,
    Label,
    Message,
    MessageDirection,
    MessageStatus,
    Organisation,
    Role,
    SavedReply,
    SenderId,
    Team,
    TeamMode,
    User,
    WhatsAppTemplate,
)
from inbox.reports.tally import tally_rebuild
from inbox.services.held_messages import held_messages_reschedule
from inbox.services.identities import contact_for_number
from inbox.services.inbound import conversation_record_inbound
from inbox.services.read_state import conversations_mark_read
from inbox.services.sending import conversation_record_outbound
from inbox.services.whatsapp_consent import whatsapp_consent_set
from inbox.services.whatsapp_templates import whatsapp_templates_sync

PEOPLE = [
    ("admin", "Ada", "Admin", Role.ADMIN),
    ("alice", "Alice", "Agent", Role.STANDARD),
    ("bob", "Bob", "Agent", Role.STANDARD),
]
SENDERS = [
    ("+14155550100", Channel.SMS, "Alice's line", "alice"),
    ("+14155550101", Channel.SMS, "Bob's line", "bob"),
    ("+14155550199", Channel.SMS, "Support (shared)", None),
    ("whatsapp:+14155550142", Channel.WHATSAPP, "WhatsApp support", None),
]
CONTACTS = [
    ("Maria Garcia", "+12025550123", ["vip"]),
    ("James Smith", "+12025550178", []),
    ("Priya Patel", "+447911123457", ["billing"]),
    ("", "+33612345678", []),
]
# (contact phone, sender address, [(direction, body, minutes ago)])
# Business hours (F-CP4): an office week in London, kept off until an admin (or
# ``--hours-open-in``) switches them on; a 24/7 WhatsApp line; Bob's line on New York hours.
OFFICE_WEEK = {str(day): [["09:00", "12:30"], ["13:30", "18:00"]] for day in range(5)}
OUT_OF_HOURS_REPLY = (
    "Thanks for your message! We're closed right now; we open {{opens_at}} and will answer "
    "you then."
)
SENDER_HOURS = {
    "whatsapp:+14155550142": {"hours": HoursMode.ALWAYS},
    "+14155550101": {
        "hours": HoursMode.OWN,
        "hours_time_zone": "America/New_York",
        "opening_hours": {str(day): [["08:00", "20:00"]] for day in range(7)},
    },
}
HOLIDAYS = [(date(2026, 12, 25), "Christmas Day"), (date(2027, 1, 1), "New Year's Day")]
THREADS = [
    (
        "+12025550123",
        "+14155550100",
        [
            ("in", "Hi! Is my order #4521 shipped yet?", 50),
            ("out", "Hi Maria, it left the warehouse this morning 📦", 45),
            ("in", "Great, thanks! Can you send the tracking link?", 3),
        ],
    ),
    ("+12025550178", "+14155550100", [("in", "Do you open on Sundays?", 240)]),
    ("+447911123457", "+14155550101", [("in", "I was charged twice this month.", 30)]),
    ("+33612345678", "+14155550199", [("in", "Bonjour, vous livrez en France ?", 12)]),
    # WhatsApp: Maria wrote two hours ago (the 24-hour window is open); James wrote 30 hours
    # ago (closed: only a template can reach him).
    (
        "+12025550123",
        "whatsapp:+14155550142",
        [("in", "Hello from WhatsApp! Does the jacket come in blue?", 120)],
    ),
    ("+12025550178", "whatsapp:+14155550142", [("in", "Thanks for your help!", 30 * 60)]),
]
# Demo template variables filled from the contact's name.
NAME_VARIABLES = {"order_update": "1", "follow_up": "1", "spring_sale": "1"}
# Four weeks of past conversations, so the reports page has something to show.
HISTORY_DAYS = 28
HISTORY_NAMES = ["Noah", "Emma", "Liam", "Olivia", "Lucas", "Mia", "Omar", "Chloe", "Ivan", "Sara"]
HISTORY_QUESTIONS = [
    "Where is my parcel?",
    "Can I change my delivery address?",
    "Do you have this in a larger size?",
    "My code does not work at checkout.",
]

# Custom fields the demo CSV (static/examples/contacts.csv) and the saved replies use.
DEMO_FIELDS = [("order_id", "Order ID"), ("delivery_date", "Delivery date")]
DEMO_REPLIES = [
    ("Order shipped", "Hi {{first_name}}, your order {{order_id}} arrives {{delivery_date}}."),
    ("Sign-off", "Thanks for writing to us! {{agent_name}}"),
]


class Command(BaseCommand):
    help = "Load the demo organisation: admin/admin, alice/alice, bob/bob, sender IDs, contacts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours-open-in",
            type=int,
            metavar="MINUTES",
            help="Switch business hours on, closed now and opening in MINUTES (for showing "
            "a held message going out by itself at opening).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        org = Organisation.load()
        org.name = org.name if org.name != "Converse" else "Acme Support"
        # The demo's customers are in the US: "(202) 555-0123" is read as +1 202 555 0123.
        org.phone_region = org.phone_region or "US"
        org.save()
        users = {}
        for username, first, last, role in PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "role": role},
            )
            if created:
                user.set_password(username)
                user.is_staff = role == Role.ADMIN
                user.is_superuser = role == Role.ADMIN
                user.save()
            users[username] = user
        team, _ = Team.objects.get_or_create(
            name="Support", defaults={"mode": TeamMode.COLLABORATION}
        )
        team.members.add(users["alice"], users["bob"])
        for address, channel, label, owner in SENDERS:
            sender, _ = SenderId.objects.get_or_create(
                address=address,
                defaults={
                    "channel": channel,
                    "label": label,
                    "owner": users.get(owner),
                    "team": None if owner else team,
                },
            )
            if owner is None:
                sender.shared_with.add(users["alice"], users["bob"])
        for name, phone, labels in CONTACTS:
            contact, _ = contact_for_number(phone, display_name=name)
            for label in labels:
                contact.labels.add(Label.objects.get_or_create(name=label)[0])
        for key, label in DEMO_FIELDS:
            CustomField.objects.get_or_create(name=key, defaults={"label": label})
        for title, body in DEMO_REPLIES:
            SavedReply.objects.get_or_create(title=title, owner=None, defaults={"body": body})
        if not Message.objects.exists():
            history = self._history(users)
            self._load_threads(users, history + THREADS)
            self._mark_history_read(history)
            tally_rebuild()  # the threads were written with their times set afterwards
            maria = Contact.objects.get(phone_e164="+12025550123")
            whatsapp_consent_set(
                contact=maria, granted=True, source="verbal", actor=None, detail="Asked by phone"
            )
        if settings.CONVERSE_PROVIDER == "simulator":
            whatsapp_templates_sync()
            for name, variable in NAME_VARIABLES.items():
                WhatsAppTemplate.objects.filter(name=name, variable_fields={}).update(
                    variable_fields={variable: "name"}
                )
        if not org.opening_hours:
            self._load_hours(org)
        if options.get("hours_open_in") is not None:
            self._open_in(org, max(options["hours_open_in"], 1))
        if apps.is_installed("campaigns"):
            call_command("seed_campaigns")  # the campaigns app's own demo data
        if apps.is_installed("channels_webchat"):
            # The demo website: a channel app's own data, loaded by its command.
            call_command("seed_webchat_demo", stdout=self.stdout)
        if apps.is_installed("channels_email"):
            # The demo mailbox, on the mail servers ``make run`` serves on 127.0.0.1.
            call_command("seed_email_demo", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready: admin/admin, alice/alice, bob/bob"))

    @staticmethod
    def _history(users) -> list[tuple]:
        """Threads of the past weeks: answered in minutes (some late), some never, some
        closed the same day; customers on every line, mostly in office hours."""
        rng = random.Random(17)
        threads = []
        addresses = [address for address, *_ in SENDERS]
        for n in range(HISTORY_DAYS * 3):
            phone = f"+1202555{7000 + n:04d}"
            name = f"{rng.choice(HISTORY_NAMES)} {chr(65 + n % 26)}."
            contact_for_number(phone, display_name=name)
            days_ago = 1 + n % HISTORY_DAYS
            start = days_ago * 24 * 60 - rng.choice([9, 10, 11, 13, 14, 15, 16, 20]) * 60
            answer = rng.choice([2, 3, 4, 4, 6, 12, 25, None])
            lines = [("in", rng.choice(HISTORY_QUESTIONS), start)]
            if answer is not None:
                lines.append(
                    ("out", "Thanks for writing! Let me check that for you.", start - answer)
                )
                lines.append(("in", "Thank you!", start - answer - 3))
            threads.append((phone, rng.choice(addresses), lines, rng.random() < 0.6))
        return threads

    @staticmethod
    def _mark_history_read(threads) -> None:
        """The past weeks' threads were read by their owners then: the demo's My Inbox
        opens on today's conversations, not on weeks of unread history."""
        history = Conversation.objects.filter(
            contact__phone_e164__in=[phone for phone, *_ in threads], owner__isnull=False
        ).select_related("owner")
        by_owner = defaultdict(list)
        for conversation in history:
            by_owner[conversation.owner].append(conversation)
        for owner, conversations in by_owner.items():
            conversations_mark_read(user=owner, conversations=conversations)

    def _load_threads(self, users, threads):
        now = timezone.now()
        for phone, address, lines, *closed in threads:
            sender = SenderId.objects.get(address=address)
            conversation, _ = Conversation.objects.get_or_create(
                contact=Contact.objects.get(phone_e164=phone), sender_id=sender
            )
            owner = (
                sender.owner
                or users["admin" if not closed else ("alice", "bob")[int(phone[-1]) % 2]]
            )
            for direction, body, minutes in lines:
                at = now - timedelta(minutes=minutes)
                message = Message.objects.create(
                    conversation=conversation,
                    direction=direction,
                    author=owner if direction == MessageDirection.OUTBOUND else None,
                    body=body,
                    channel=sender.channel,
                    status=MessageStatus.DELIVERED
                    if direction == "out"
                    else MessageStatus.RECEIVED,
                )
                Message.objects.filter(pk=message.pk).update(created_at=at)
                if direction == MessageDirection.OUTBOUND:
                    conversation_record_outbound(
                        conversation=conversation, author=owner, body=body, at=at
                    )
                else:
                    conversation_record_inbound(
                        conversation=conversation, owner=owner, preview=body, at=at
                    )
            if closed and closed[0]:
                Conversation.objects.filter(pk=conversation.pk).update(
                    status=Conversation.Status.CLOSED,
                    closed_at=at + timedelta(hours=2),
                    waiting_since=None,
                )

    def _load_hours(self, org):
        org.time_zone, org.opening_hours = "Europe/London", OFFICE_WEEK
        org.out_of_hours_reply = OUT_OF_HOURS_REPLY
        org.save()
        for address, fields in SENDER_HOURS.items():
            SenderId.objects.filter(address=address).update(**fields)
        for day, name in HOLIDAYS:
            Holiday.objects.get_or_create(date=day, defaults={"name": name, "recurring": True})

    def _open_in(self, org, minutes: int):
        """Business hours on, with today's opening ``minutes`` from now (to the minute)."""
        zone = ZoneInfo(org.time_zone)
        opening = (timezone.now() + timedelta(minutes=minutes)).astimezone(zone)
        opening = opening.replace(second=0, microsecond=0) + timedelta(minutes=1)
        week = dict(org.opening_hours or OFFICE_WEEK)
        week[str(opening.weekday())] = [[f"{opening:%H:%M}", "00:00"]]
        org.hours_enabled, org.opening_hours = True, week
        org.save()
        held_messages_reschedule()
        self.stdout.write(
            f"Business hours on: closed now, opening at {opening:%H:%M} ({org.time_zone})."
        )
