"""Bot step latency (F-AU5): from a customer message stored to the bot's reply stored, with a
real Celery worker on the same machine (the broker of ``CELERY_BROKER_URL``).

A line of its own gets a small flow (a menu whose first answer says something and asks the
menu again), and customers talk to it one message at a time: each turn is the inbound
service storing the message (what the webhook's task does), the happening queueing the
bot's task on commit, a worker answering, and the reply committed. The turn is timed from
before the message is stored to the moment the reply can be read. Everything the run
added (line, flow, conversations, contacts) is removed afterwards.
"""

import statistics
import time
from dataclasses import dataclass
from decimal import Decimal

from automation.managing import bot_flow_delete, bot_flow_save, bot_step_save
from automation.models import BotFlow
from inbox.channels import InboundMessage
from inbox.models import (
    AutoKind,
    Channel,
    Contact,
    Conversation,
    Message,
    SenderId,
    User,
)
from inbox.services.inbound import message_receive

from . import outbound
from .webhook import ACCOUNT_SID, AUTH_TOKEN

LINE = "+15550107000"
GOAL_P95_MS = 1000.0
STEPS = [
    {
        "key": "menu",
        "kind": "question",
        "text": "Hello! What do you need?",
        "answers": [
            {"label": "Opening hours", "keywords": ["open"], "next": "hours"},
            {"label": "A person", "keywords": [], "next": ""},
        ],
    },
    {"key": "hours", "kind": "message", "text": "We open at nine.", "next": "menu"},
]


@dataclass
class BotResult:
    status: str = "ok"
    note: str = ""
    turns: int = 0
    customers: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    goal_p95_ms: float = GOAL_P95_MS
    meets_goal: bool = False


_sids = iter(range(10**9))


def _say(line: SenderId, customer: str, body: str) -> Message:
    inbound = InboundMessage(
        channel=line.channel,
        provider_sid=f"SMbenchbot{time.time_ns()}{next(_sids)}",
        from_address=customer,
        to_address=line.address,
        body=body,
    )
    message, _ = message_receive(inbound=inbound)
    return message


def _answered(message: Message, timeout: float) -> float | None:
    """Seconds until the bot's reply to ``message`` can be read; None past ``timeout``."""
    deadline = time.perf_counter() + timeout
    replies = Message.objects.filter(
        conversation_id=message.conversation_id, auto_kind=AutoKind.BOT, pk__gt=message.pk
    )
    while time.perf_counter() < deadline:
        if replies.exists():
            return time.perf_counter()
        time.sleep(0.002)
    return None


def measure_bot(*, customers: int = 5, turns_each: int = 20, threads: int = 2) -> BotResult:
    """``customers`` talk to the bot ``turns_each`` times each, one message at a time."""
    result = BotResult(customers=customers)
    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    outbound.flush_broker()
    api = outbound.FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": api.url,
    }
    line = SenderId.objects.create(
        address=LINE, channel=Channel.SMS, label="Bench bot line", rate_per_second=Decimal(100)
    )
    worker = outbound.start_worker(env, threads, 90)
    times = []
    try:
        flow = bot_flow_save(
            by=admin,
            name="Bench bot",
            sender=line,
            is_active=False,
            handover_words="agent",
            handover_reply="A person will answer.",
            misunderstood_reply="Sorry?",
        )
        for step in STEPS:
            flow = bot_step_save(by=admin, flow=flow, step=step)
        bot_flow_save(
            by=admin,
            flow=flow,
            name=flow.name,
            sender=line,
            is_active=True,
            handover_words=flow.handover_words,
            handover_reply=flow.handover_reply,
            misunderstood_reply=flow.misunderstood_reply,
        )
        # The worker is up once it has answered a first customer (not timed).
        if _answered(_say(line, "+15550107999", "hello"), timeout=120) is None:
            result.status, result.note = "failed", "the worker never answered"
            return result
        for number in range(customers):
            customer = f"+1555010{8000 + number}"
            for turn in range(turns_each):
                started = time.perf_counter()
                message = _say(line, customer, "hi" if turn == 0 else "1")
                answered = _answered(message, timeout=30)
                if answered is None:
                    result.status, result.note = "failed", f"no reply to turn {turn} in 30 s"
                    return result
                times.append((answered - started) * 1000)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        api.stop()
        outbound.flush_broker()
        _remove(line, admin)
    times.sort()
    result.turns = len(times)
    result.p50_ms = round(statistics.median(times), 1)
    result.p95_ms = round(times[int(0.95 * (len(times) - 1))], 1)
    result.max_ms = round(times[-1], 1)
    result.meets_goal = result.p95_ms <= GOAL_P95_MS
    return result


def _remove(line: SenderId, admin: User) -> None:
    """Take away what the run added: the bench's data set stays as it was built."""
    for flow in BotFlow.objects.filter(sender=line):
        bot_flow_delete(by=admin, flow=flow)
    conversations = Conversation.objects.filter(sender_id=line)
    contacts = list(conversations.values_list("contact_id", flat=True))
    Message.objects.filter(conversation__in=conversations).delete()
    conversations.delete()
    Contact.objects.filter(pk__in=contacts, conversations__isnull=True).delete()
    line.delete()
