"""A realistic inbox data set, written with COPY so a million messages load in about a minute.

The shape: 50 agents in 5 teams and one admin; 200 sender IDs (most owned by one agent, some
shared by three, some belonging to a team); contacts with names and E.164 numbers in four
countries; one conversation per (contact, sender ID), a few contacts writing to two senders;
messages per conversation on a long-tailed curve (a few threads pass the window's limit);
per-user read states, participations and events. ``agent01`` owns more sender IDs than anyone:
the busy inbox the page measurements log in as.

Every conversation's summary columns are computed from the messages written for it, so
lists built from the summaries agree with the threads.
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from inbox.models import (
    Channel,
    Conversation,
    MessageDirection,
    MessageStatus,
    Organisation,
    Role,
    SenderId,
    Team,
    TeamMode,
    User,
)
from inbox.models.ids import ALPHABET
from inbox.pure.segments import count_segments
from inbox.reports.tally import tally_rebuild
from inbox.services.sending import preview_of

AGENTS = 50
SENDERS = 200
TEAMS = [
    ("Support", TeamMode.COLLABORATION),
    ("Sales", TeamMode.GRAB),
    ("Billing", TeamMode.COLLABORATION),
    ("Onboarding", TeamMode.GRAB),
    ("Night shift", TeamMode.COLLABORATION),
]
PASSWORD = "bench"
BUSY_AGENT = "agent01"
ADMIN = "admin"
# Share of conversations whose contact also writes to a second sender ID.
SECOND_SENDER_SHARE = 0.15
DAY = 86_400.0

FIRST_NAMES = [
    "Maria",
    "James",
    "Priya",
    "Chen",
    "Fatima",
    "Lucas",
    "Olivia",
    "Mohammed",
    "Sofia",
    "Liam",
    "Aisha",
    "Noah",
    "Emma",
    "Hiroshi",
    "Ana",
    "Mateo",
    "Zoe",
    "Ivan",
    "Chloe",
    "Kwame",
    "Lena",
    "Diego",
    "Yuki",
    "Omar",
    "Grace",
    "Pablo",
    "Ingrid",
    "Ravi",
    "Amara",
    "Felix",
    "Hannah",
    "Tomasz",
    "Leila",
    "Sven",
    "Nadia",
    "Carlos",
    "Mei",
    "Samuel",
    "Elif",
    "Jonas",
    "Alice",
    "Bruno",
    "Keiko",
    "Tariq",
    "Julia",
    "Marco",
    "Sara",
    "Dmitri",
    "Ngozi",
    "Hugo",
]
LAST_NAMES = [
    "Garcia",
    "Smith",
    "Patel",
    "Wang",
    "Khan",
    "Silva",
    "Johnson",
    "Hassan",
    "Rossi",
    "Brown",
    "Okafor",
    "Miller",
    "Dubois",
    "Tanaka",
    "Fernandez",
    "Lopez",
    "Novak",
    "Petrov",
    "Martin",
    "Mensah",
    "Schmidt",
    "Torres",
    "Suzuki",
    "Ali",
    "Walker",
    "Moreno",
    "Larsen",
    "Sharma",
    "Adeyemi",
    "Becker",
    "Cohen",
    "Kowalski",
    "Rahman",
    "Nilsson",
    "Ivanova",
    "Ortiz",
    "Li",
    "Nguyen",
    "Yilmaz",
    "Weber",
    "Anderson",
    "Costa",
    "Sato",
    "Haddad",
    "Fischer",
    "Romano",
    "Jensen",
    "Popescu",
    "Eze",
    "Laurent",
]
INBOUND_BODIES = [
    "Hi, is my order #{n} shipped yet?",
    "Can you send me the tracking link please?",
    "I was charged twice this month, can you check?",
    "Do you open on Sundays?",
    "Thanks! 🙏",
    "Bonjour, vous livrez en France ?",
    "The package arrived damaged, what should I do?",
    "Can I change my delivery address to {n} Main Street?",
    "What time does the store close today?",
    "ok",
    "Is the blue one still in stock in size M?",
    "I'd like to cancel my subscription.",
    "Hola, ¿tienen envío gratis?",
    "My code {n} doesn't work at checkout",
    "Perfect, see you tomorrow at 10",
]
OUTBOUND_BODIES = [
    "Hi {name}, it left the warehouse this morning 📦",
    "Here is your tracking link: https://track.example.com/{n}",
    "Sorry about that! I've refunded the duplicate charge, it shows in 3-5 days.",
    "We're open 10:00-16:00 on Sundays.",
    "You're welcome, have a great day!",
    "Could you send a photo of the damage? We'll ship a replacement right away.",
    "Done, the address is updated.",
    "Yes, we have 4 left in M. Want me to reserve one?",
    "I've cancelled it; you won't be charged again.",
    "Thanks for waiting, {name}. Let me check with the team.",
]

# Every body is far below one segment's length, so its template's count is its own.
SEGMENTS = {
    t: count_segments(t.format(n=12345, name="Maria")).segments
    for t in INBOUND_BODIES + OUTBOUND_BODIES
}


@dataclass(frozen=True)
class Sizes:
    conversations: int
    messages: int

    def __post_init__(self) -> None:
        if self.messages < self.conversations:
            raise ValueError("every conversation needs at least one message")


FULL = Sizes(conversations=100_000, messages=1_000_000)
SMALL = Sizes(conversations=5_000, messages=50_000)


@dataclass
class People:
    admin: User
    agents: list[User]
    teams: list[Team]
    members: dict[int, list[int]]  # team id → member user ids


@dataclass
class Sender:
    pk: int
    channel: str
    owner_id: int | None
    team_id: int | None
    team_mode: str | None
    shared_with: list[int] = field(default_factory=list)


@dataclass
class BuildReport:
    sizes: Sizes
    seconds: float
    rows: dict[str, int]


# Hex digits mapped into the public-id alphabet (which has no 0 or 1): 64 random bits per id.
HEX_TO_ALPHABET = str.maketrans("01", "wx")
assert set("23456789abcdefwx") <= set(ALPHABET)


def public_id(rng: random.Random) -> str:
    return format(rng.getrandbits(64), "016x").translate(HEX_TO_ALPHABET)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def phone_number(i: int) -> str:
    """A unique, valid E.164 number for contact ``i`` (US, UK, German, French mobiles).

    The subscriber digits are ``i`` times a prime modulo the numbering range: a bijection, so
    numbers never repeat within a country and look scattered. Each range is one that
    ``phonenumbers`` holds valid throughout (UK 074 and 075, German 0151 and 0152, French
    064 to 067), so the CSV import accepts every number it is given (a test checks a sample).
    """
    country = i % 10
    if country < 6:
        areas = (201, 212, 305, 312, 415, 512, 617, 702, 718, 917)
        return f"+1{areas[i % 10]}{(i * 7919 + 1_234_567) % 8_000_000 + 2_000_000}"
    if country < 8:
        return f"+447{(i * 7919) % 200_000_000 + 400_000_000}"
    if country == 8:
        return f"+4915{(i * 7919) % 200_000_000 + 100_000_000}"
    return f"+336{(i * 7919) % 40_000_000 + 40_000_000}"


def thread_lengths(rng: random.Random, sizes: Sizes) -> list[int]:
    """Messages per conversation: long-tailed (most short, a few hundreds), summing exactly."""
    weights = [min(rng.paretovariate(1.6), 60.0) for _ in range(sizes.conversations)]
    spare = sizes.messages - sizes.conversations
    total = sum(weights)
    lengths = [1 + int(spare * w / total) for w in weights]
    for _ in range(sizes.messages - sum(lengths)):
        lengths[rng.randrange(sizes.conversations)] += 1
    return lengths


def create_people() -> People:
    """One admin and the agents, all with password ``bench``, spread over the teams."""
    Organisation.load()
    password = make_password(PASSWORD)
    admin = User.objects.create(
        username=ADMIN, password=password, role=Role.ADMIN, first_name="Ada", last_name="Admin"
    )
    agents = User.objects.bulk_create(
        User(
            username=f"agent{n:02d}",
            password=password,
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            last_name=LAST_NAMES[(n * 7) % len(LAST_NAMES)],
        )
        for n in range(1, AGENTS + 1)
    )
    teams = Team.objects.bulk_create(Team(name=name, mode=mode) for name, mode in TEAMS)
    members: dict[int, list[int]] = {t.pk: [] for t in teams}
    for n, agent in enumerate(agents):
        members[teams[n % len(teams)].pk].append(agent.pk)
    Team.members.through.objects.bulk_create(
        Team.members.through(team_id=team_id, user_id=user_id)
        for team_id, user_ids in members.items()
        for user_id in user_ids
    )
    return People(admin=admin, agents=agents, teams=teams, members=members)


def create_senders(people: People) -> list[Sender]:
    """160 owned (13 of them by the busy agent), 30 shared by three agents, 10 team lines."""
    agents = people.agents
    rows: list[tuple[SenderId, list[int]]] = []
    for s in range(SENDERS):
        channel = Channel.WHATSAPP if s % 7 == 0 else Channel.SMS
        number = f"+1650555{s:04d}"
        sender = SenderId(
            channel=channel,
            address=f"whatsapp:{number}" if channel == Channel.WHATSAPP else number,
            label=f"Line {s + 1}",
        )
        shared: list[int] = []
        if s < 150:
            sender.owner = agents[s % AGENTS]
        elif s < 160:
            sender.owner = agents[0]
        elif s < 190:
            shared = [agents[(s * 3 + k) % AGENTS].pk for k in range(3)]
            sender.label = f"Shared line {s - 159}"
        else:
            sender.team = people.teams[(s - 190) % len(people.teams)]
            sender.label = f"{sender.team.name} line {s - 189}"
        rows.append((sender, shared))
    SenderId.objects.bulk_create(s for s, _ in rows)
    SenderId.shared_with.through.objects.bulk_create(
        SenderId.shared_with.through(senderid_id=sender.pk, user_id=user_id)
        for sender, shared in rows
        for user_id in shared
    )
    return [
        Sender(
            pk=s.pk,
            channel=s.channel,
            owner_id=s.owner_id,
            team_id=s.team_id,
            team_mode=s.team.mode if s.team_id else None,
            shared_with=shared,
        )
        for s, shared in rows
    ]


class Copier:
    """Streams tab-separated rows into one table with COPY, in large writes.

    Values must not hold tabs, newlines or backslashes (the generated text never does);
    ``None`` becomes NULL.
    """

    CHUNK = 4_000

    def __init__(self, cursor, table: str, columns: str) -> None:
        self.cursor = cursor
        self.sql = f"COPY {table} ({columns}) FROM STDIN"
        self.lines: list[str] = []
        self.rows = 0

    def __enter__(self) -> "Copier":
        self._copy_cm = self.cursor.copy(self.sql)
        self._copy = self._copy_cm.__enter__()
        return self

    def add(self, *values: object) -> None:
        self.lines.append("\t".join(r"\N" if v is None else str(v) for v in values))
        if len(self.lines) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self._copy.write("\n".join(self.lines) + "\n")
            self.rows += len(self.lines)
            self.lines = []

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.flush()
        self._copy_cm.__exit__(*exc)


@contextmanager
def indexes_built_after(cursor, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the plain indexes of ``tables`` for a bulk load and build them again after it.

    Building an index once from sorted data is much cheaper than updating it row by row.
    Indexes that back constraints (primary keys, unique constraints) stay in place.
    """
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        cursor.execute(definition)


def next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
    )


@dataclass
class Thread:
    """What the messages of one conversation leave behind for its summary columns."""

    first_at: float = 0.0
    last_at: float = 0.0
    last_inbound_at: float | None = None
    last_outbound_at: float | None = None
    first_inbound_at: float | None = None
    first_response_at: float | None = None
    waiting_since: float | None = None
    preview: str = ""
    direction: str = ""


def owner_for(rng: random.Random, sender: Sender, people: People) -> int | None:
    """Who a conversation on ``sender`` belongs to, following the routing rules (F-CV3)."""
    if sender.owner_id is not None:
        roll = rng.random()
        if roll < 0.02:
            return people.admin.pk  # first contact that landed in the admin's inbox
        if roll < 0.05:
            return rng.choice(people.agents).pk  # reassigned
        return sender.owner_id
    if sender.shared_with:
        return rng.choice(sender.shared_with)
    if sender.team_mode == TeamMode.GRAB and rng.random() < 0.3:
        return None  # not grabbed yet
    return rng.choice(people.members[sender.team_id])


def write_messages(
    copier: Copier,
    rng: random.Random,
    *,
    conversation_id: int,
    first_message_id: int,
    count: int,
    last_at: float,
    channel: str,
    owner_id: int | None,
    name: str,
) -> Thread:
    """Write ``count`` messages ending at ``last_at`` and return the thread's summary."""
    # Times counted back from the last message, so the newest one is exactly ``last_at``.
    times = [last_at]
    for _ in range(count - 1):
        times.append(times[-1] - rng.uniform(30, 6 * 3600))
    times.reverse()
    thread = Thread(first_at=times[0], last_at=last_at)
    # Unowned threads have never been answered; an owner sometimes starts the thread.
    inbound = owner_id is None or rng.random() < 0.9
    first_name = name.split(" ")[0] if name else "there"
    for k, at in enumerate(times):
        n = rng.randrange(1000, 99999)
        created = iso(at)
        if inbound:
            template = rng.choice(INBOUND_BODIES)
            body = template.format(n=n)
            copier.add(
                first_message_id + k, public_id(rng), MessageDirection.INBOUND, body,
                MessageStatus.RECEIVED, channel, f"SM{first_message_id + k:032x}", None, "", "",
                SEGMENTS[template], created, None, 0, None, None, None, None,
                None, conversation_id,
            )  # fmt: skip
            thread.last_inbound_at = at
            if thread.first_inbound_at is None:
                thread.first_inbound_at = at
            if thread.waiting_since is None:
                thread.waiting_since = at
        else:
            template = rng.choice(OUTBOUND_BODIES)
            body = template.format(n=n, name=first_name)
            status = MessageStatus.READ if channel == Channel.WHATSAPP else MessageStatus.DELIVERED
            if rng.random() < 0.02:
                status = MessageStatus.FAILED
            delivered = iso(at + 3) if status != MessageStatus.FAILED else None
            copier.add(
                first_message_id + k, public_id(rng), MessageDirection.OUTBOUND, body, status,
                channel, f"SM{first_message_id + k:032x}", None,
                "30003" if status == MessageStatus.FAILED else "",
                "Phone unreachable" if status == MessageStatus.FAILED else "",
                SEGMENTS[template], created, created, 1, None, iso(at + 1), delivered,
                iso(at + 60) if status == MessageStatus.READ else None, owner_id, conversation_id,
            )  # fmt: skip
            thread.last_outbound_at = at
            if thread.first_inbound_at is not None and thread.first_response_at is None:
                thread.first_response_at = at  # every outgoing message here has an author
            thread.waiting_since = None
        thread.preview = preview_of(body)
        thread.direction = MessageDirection.INBOUND if inbound else MessageDirection.OUTBOUND
        if owner_id is not None and rng.random() < 0.6:
            inbound = not inbound
    return thread


MESSAGE_COLUMNS = (
    "id, public_id, direction, body, status, channel, provider_sid, idempotency_key, error_code, "
    "error_reason, segments, created_at, dispatch_started_at, attempts, scheduled_for, sent_at, "
    "delivered_at, read_at, author_id, conversation_id"
)
CONVERSATION_COLUMNS = (
    "id, public_id, status, created_at, last_inbound_at, last_outbound_at, last_activity_at, "
    "last_message_preview, last_message_direction, waiting_since, closed_at, changed_at, "
    "contact_id, last_sender_id, owner_id, sender_id_id, team_id, first_inbound_at, "
    "first_response_at, customer_address"
)


BULK_TABLES = (
    "inbox_contact",
    "inbox_contactidentity",
    "inbox_conversation",
    "inbox_message",
    "inbox_readstate",
    "inbox_participation",
    "inbox_conversationevent",
)


def populate(sizes: Sizes, *, seed: int = 5) -> dict[str, int]:
    """Fill the (empty, migrated) inbox tables of the default database; return row counts.

    Runs in one transaction. As superuser it turns off foreign-key triggers for the load
    (``session_replication_role = replica``): every reference is correct by construction.
    """
    rng = random.Random(seed)
    now = time.time()
    with transaction.atomic():
        people = create_people()
        senders = create_senders(people)
        cursor = connection.cursor().cursor
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        with indexes_built_after(cursor, BULK_TABLES):
            counts = _load(cursor, rng, sizes, people, senders, now)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        counts["inbox_messagetally"] = tally_rebuild()  # what the services keep as they store
    return counts


def _load(cursor, rng, sizes: Sizes, people: People, senders: list[Sender], now: float):
    first_contact = next_id(cursor, "inbox_contact")
    first_conversation = next_id(cursor, "inbox_conversation")
    message_id = next_id(cursor, "inbox_message")
    contacts = sizes.conversations - int(sizes.conversations * SECOND_SENDER_SHARE)
    names = contacts_copy(cursor, rng, first_contact, contacts, now)

    lengths = thread_lengths(rng, sizes)
    conversation_rows: list[tuple] = []
    first_sender: list[int] = []
    with Copier(cursor, "inbox_message", MESSAGE_COLUMNS) as messages:
        for i in range(sizes.conversations):
            if i < contacts:
                contact_index = i
                sender_index = rng.randrange(SENDERS)
                first_sender.append(sender_index)
            else:  # the same contact on another sender ID: still one thread per pair
                contact_index = i - contacts
                sender_index = (first_sender[contact_index] + rng.randrange(1, SENDERS)) % SENDERS
            sender = senders[sender_index]
            owner_id = owner_for(rng, sender, people)
            last_at = now - min(rng.expovariate(1 / (12 * DAY)), 365 * DAY)
            conversation_id = first_conversation + i
            thread = write_messages(
                messages, rng,
                conversation_id=conversation_id, first_message_id=message_id,
                count=lengths[i], last_at=last_at, channel=sender.channel,
                owner_id=owner_id, name=names[contact_index],
            )  # fmt: skip
            message_id += lengths[i]
            conversation_rows.append(
                (
                    conversation_id,
                    first_contact + contact_index,
                    phone_number(contact_index),
                    sender,
                    owner_id,
                    thread,
                )
            )
    counts = {"inbox_message": messages.rows}
    counts |= conversations_copy(cursor, rng, conversation_rows, people, now)
    counts["inbox_contact"] = contacts
    counts["inbox_contactidentity"] = identities_insert(cursor, first_contact=first_contact)
    # The contacts list's order: each contact's newest conversation activity.
    cursor.execute(
        "UPDATE inbox_contact c SET last_activity_at = a.at FROM ("
        "SELECT contact_id, max(last_activity_at) AS at FROM inbox_conversation "
        "GROUP BY contact_id) a WHERE c.id = a.contact_id"
    )
    for table in ("inbox_contact", "inbox_conversation", "inbox_message"):
        reset_sequence(cursor, table)
    return counts


def identities_insert(cursor, *, first_contact: int) -> int:
    """Each contact's addresses as identities (its phone, WhatsApp id and e-mail, and the
    WhatsApp number each WhatsApp thread is with), then each conversation's identity."""
    cursor.execute(
        "INSERT INTO inbox_contactidentity (contact_id, kind, address, added_at) "
        "SELECT id, 'phone', phone_e164, created_at FROM inbox_contact "
        "WHERE id >= %(first)s AND phone_e164 IS NOT NULL "
        "UNION ALL SELECT c.contact_id, 'whatsapp', c.customer_address, c.created_at "
        "FROM inbox_conversation c JOIN inbox_senderid s ON s.id = c.sender_id_id "
        "WHERE c.contact_id >= %(first)s AND s.channel = 'whatsapp' "
        "UNION ALL SELECT id, 'whatsapp', whatsapp_id, created_at FROM inbox_contact "
        "WHERE id >= %(first)s AND whatsapp_id <> '' "
        "UNION ALL SELECT id, 'email', lower(email), created_at FROM inbox_contact "
        "WHERE id >= %(first)s AND email <> '' "
        "ON CONFLICT DO NOTHING",
        {"first": first_contact},
    )
    rows = cursor.rowcount
    cursor.execute(
        "UPDATE inbox_conversation c SET identity_id = i.id "
        "FROM inbox_senderid s, inbox_contactidentity i "
        "WHERE s.id = c.sender_id_id AND c.contact_id >= %(first)s "
        "AND i.kind = CASE s.channel WHEN 'sms' THEN 'phone' ELSE s.channel END "
        "AND i.address = c.customer_address",
        {"first": first_contact},
    )
    reset_sequence(cursor, "inbox_contactidentity")
    return rows


def contacts_copy(cursor, rng, first_id: int, count: int, now: float) -> list[str]:
    """Write the contacts; return their display names by index ('' for unsaved numbers)."""
    names: list[str] = []
    columns = (
        "id, public_id, display_name, phone_e164, whatsapp_id, email, sms_opted_out_at, "
        "whatsapp_consent_at, created_at, last_activity_at"
    )
    with Copier(cursor, "inbox_contact", columns) as copier:
        for i in range(count):
            name = ""
            email = ""
            if rng.random() < 0.88:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                name = f"{first} {last}"
                if rng.random() < 0.3:
                    email = f"{first}.{last}{i}@example.com".lower()
            phone = phone_number(i)
            opted_out = iso(now - rng.uniform(0, 90 * DAY)) if rng.random() < 0.01 else None
            copier.add(
                first_id + i, public_id(rng), name, phone, phone[1:] if i % 7 == 0 else "",
                email, opted_out, None, iso(now - 400 * DAY), iso(now - 400 * DAY),
            )  # fmt: skip
            names.append(name)
    return names


def conversations_copy(cursor, rng, rows, people: People, now: float) -> dict[str, int]:
    """Write conversations with summaries from their threads, then read states,
    participations and events derived from the same threads."""
    admin_id = people.admin.pk
    reads: list[tuple[int, int, float]] = []
    participations: list[tuple[int, int, float | None, float | None]] = []
    events: list[tuple[int, str, int | None, str, float]] = []
    with Copier(cursor, "inbox_conversation", CONVERSATION_COLUMNS) as copier:
        for conversation_id, contact_id, phone, sender, owner_id, t in rows:
            closed = t.last_at < now - 2 * DAY and rng.random() < 0.6
            status = (
                Conversation.Status.CLOSED
                if closed
                else Conversation.Status.ASSIGNED
                if owner_id
                else Conversation.Status.OPEN
            )
            copier.add(
                conversation_id, public_id(rng), status, iso(t.first_at),
                _iso_or_none(t.last_inbound_at), _iso_or_none(t.last_outbound_at),
                iso(t.last_at), t.preview, t.direction,
                None if closed else _iso_or_none(t.waiting_since),
                iso(t.last_at + DAY) if closed else None, iso(t.last_at), contact_id,
                owner_id if t.last_outbound_at else None, owner_id, sender.pk, sender.team_id,
                _iso_or_none(t.first_inbound_at), _iso_or_none(t.first_response_at), phone,
            )  # fmt: skip
            if owner_id is not None and t.last_inbound_at and rng.random() < 0.8:
                unread = rng.random() < 0.25
                reads.append(
                    (owner_id, conversation_id, t.last_inbound_at - 60 if unread else t.last_at)
                )
            if owner_id != admin_id and rng.random() < 0.1:
                reads.append((admin_id, conversation_id, t.last_at))
            if owner_id is not None and t.last_outbound_at:
                participations.append((owner_id, conversation_id, None, t.last_outbound_at))
            if sender.team_id and rng.random() < 0.3:
                joiner = rng.choice(people.members[sender.team_id])
                if joiner != owner_id:
                    participations.append((joiner, conversation_id, t.first_at + 120, None))
            if owner_id is not None and rng.random() < 0.3:
                events.append((conversation_id, "assigned", admin_id, "", t.first_at + 60))
            if rng.random() < 0.05:
                note = "Customer prefers a call back after 5 pm."
                events.append((conversation_id, "note", owner_id, note, t.first_at + 90))
            if closed:
                events.append((conversation_id, "status", owner_id, "", t.last_at + DAY))
    counts = {"inbox_conversation": copier.rows}
    with Copier(cursor, "inbox_readstate", "user_id, conversation_id, last_read_at") as copier:
        for user_id, conversation_id, at in reads:
            copier.add(user_id, conversation_id, iso(at))
    counts["inbox_readstate"] = copier.rows
    columns = "user_id, conversation_id, joined_at, last_sent_at"
    with Copier(cursor, "inbox_participation", columns) as copier:
        for user_id, conversation_id, joined, sent in participations:
            copier.add(user_id, conversation_id, _iso_or_none(joined), _iso_or_none(sent))
    counts["inbox_participation"] = copier.rows
    columns = "conversation_id, kind, actor_id, body, data, created_at"
    with Copier(cursor, "inbox_conversationevent", columns) as copier:
        for conversation_id, kind, actor_id, body, at in events:
            data = '{"status": "closed"}' if kind == "status" else "{}"
            copier.add(conversation_id, kind, actor_id, body, data, iso(at))
    counts["inbox_conversationevent"] = copier.rows
    return counts


def _iso_or_none(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


def analyze() -> None:
    """VACUUM ANALYZE: fresh statistics, and a visibility map so index-only scans work, as
    they do on a production database that autovacuum keeps."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


MARKER = "bench_dataset"


def present(sizes: Sizes) -> bool:
    """Whether the database holds a data set built at these sizes (runs add rows to it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(f"SELECT conversations, messages FROM {MARKER}")
        return cursor.fetchone() == (sizes.conversations, sizes.messages)


def mark(sizes: Sizes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} "
            "(conversations int NOT NULL, messages int NOT NULL)"
        )
        cursor.execute(f"TRUNCATE {MARKER}")
        cursor.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s)", [sizes.conversations, sizes.messages]
        )


DATA_TABLES = (
    "inbox_user, inbox_team, inbox_senderid, inbox_contact, inbox_conversation, inbox_message, "
    "inbox_organisation"
)


def clear() -> None:
    """Empty every inbox table (and what references them) before a rebuild."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {DATA_TABLES} RESTART IDENTITY CASCADE")


def build(sizes: Sizes, *, seed: int = 5) -> BuildReport:
    started = time.perf_counter()
    clear()
    rows = populate(sizes, seed=seed)
    analyze()
    mark(sizes)
    return BuildReport(sizes=sizes, seconds=time.perf_counter() - started, rows=rows)
