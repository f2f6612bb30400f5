"""The bot that answers first (F-AU5): one customer message in, at most one reply out.

Runs in the worker (``tasks.run_bot``), queued by ``receivers.queue_bot`` for each customer
message, and answers only while the inbox says the bot has the conversation
(``Conversation.with_bot``, given by ``inbox.services.inbound.bot_takes``). Everything it
does goes through the inbox's services: its reply is an automatic message
(``message_send_automatic``, kind ``bot``: refused to an opted-out customer or outside the
WhatsApp window, never counted as a first response), an answer is saved with
``contact_update``, and the hand-over is ``conversation_bot_hand_over``.

It hands over to a person, with a private note of what it collected, when the customer
writes one of the flow's hand-over words, when the flow ends or reaches a hand-over step,
when it did not understand two answers in a row, when the line's business hours are
closed (the out-of-hours reply answers then), when the customer opted out (it says
nothing), and when its reply is refused.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from inbox.models import AutoKind, Conversation, Message, MessageDirection
from inbox.services.auto_replies import auto_replies_send
from inbox.services.bot import conversation_bot_hand_over
from inbox.services.business_hours import is_open, sender_hours
from inbox.services.consent import HELP, keyword_intent
from inbox.services.contacts import contact_update
from inbox.services.refusals import SendRefused
from inbox.services.sending import message_send_automatic

from .models import BotFlow, BotSession

log = logging.getLogger(__name__)

MISUNDERSTOOD_LIMIT = 2
# A talk left this long starts again from the first step.
SESSION_EXPIRY = timedelta(days=1)
# Steps walked for one message at most: a flow of messages going round in a circle stops.
MAX_WALK = 50
FIELD_VALUE_MAX = 500
BOTS_KEY = "automation:bots-on"


def bots_on() -> bool:
    """Whether any bot flow is on (cached across processes until a flow changes), so that
    a customer message on an inbox without bots queues no task."""
    cache = caches["shared"]
    on = cache.get(BOTS_KEY)
    if on is None:
        on = BotFlow.objects.filter(is_active=True).exists()
        cache.set(BOTS_KEY, on, timeout=None)
    return bool(on)


def bots_changed() -> None:
    caches["shared"].delete(BOTS_KEY)


@dataclass
class Turn:
    """What one customer message leads to: the texts to send (as one message) and, when the
    bot lets go, why."""

    replies: list[str] = field(default_factory=list)
    handover: str = ""


def words_of(text: str) -> str:
    """``text`` as lower-case words separated by single spaces, padded for phrase search."""
    return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "


def asks_for_person(flow: BotFlow, body: str) -> bool:
    said = words_of(body)
    return any(
        f" {phrase.strip()} " in said
        for phrase in (words_of(w).strip() for w in flow.handover_words.split(","))
        if phrase
    )


def answer_matching(step: dict, body: str) -> dict | None:
    """The answer of the question ``step`` that ``body`` gives: its number ("2", "2."), its
    label's words or one of its keywords; None when it gives none."""
    answers = step.get("answers", [])
    number = body.strip().rstrip(".)")
    if number.isdigit():
        index = int(number) - 1
        return answers[index] if 0 <= index < len(answers) else None
    said = words_of(body)
    for answer in answers:
        label = words_of(answer["label"]).strip()
        if label and f" {label} " in said:
            return answer
        if any(f" {words_of(k).strip()} " in said for k in answer.get("keywords", []) if k):
            return answer
    return None


def question_text(step: dict) -> str:
    if step["kind"] != "question":
        return step["text"]
    numbered = "\n".join(f"{n}. {a['label']}" for n, a in enumerate(step["answers"], 1))
    return f"{step['text']}\n{numbered}"


def bot_answer(*, conversation_id: int, message_id: int) -> str:
    """Answer the customer message ``message_id`` in ``conversation_id`` when the bot has
    the conversation; return what was done, in words (for the log and the tests).

    Holds the conversation row's lock from the start: the inbox's writes to it (a new
    customer message, a person's reply) wait, and a retried task finds the message
    answered (``BotSession.last_message_id``) and does nothing.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("sender_id", "contact")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None or not conversation.with_bot:
            return "not with the bot"
        message = Message.objects.filter(
            pk=message_id, conversation=conversation, direction=MessageDirection.INBOUND
        ).first()
        if message is None:
            return "no such message"
        flow = BotFlow.objects.filter(sender_id=conversation.sender_id_id, is_active=True).first()
        if flow is None:
            conversation_bot_hand_over(
                conversation_id=conversation.pk,
                note="The bot of this line was switched off: handed over to a person.",
                bot="Bot",
            )
            return "handed over: no bot"
        session, _ = BotSession.objects.get_or_create(
            conversation=conversation, defaults={"flow": flow}
        )
        if session.last_message_id >= message.pk:
            return "already answered"
        if session.flow_id != flow.pk or session.updated_at < timezone.now() - SESSION_EXPIRY:
            session.flow, session.step, session.answers, session.misses = flow, "", [], 0
        session.last_message_id = message.pk
        turn = _turn(flow, session, conversation, message)
        done = _reply(conversation, turn)
        if turn.handover:
            _hand_over(flow, session, conversation, turn.handover)
            done.append(f"handed over: {turn.handover}")
        session.save()
    return "; ".join(done) or "nothing to say"


def _turn(flow: BotFlow, session: BotSession, conversation: Conversation, message) -> Turn:
    body = message.body or ""
    if conversation.contact.sms_opted_out_at is not None:
        return Turn(handover="the customer opted out")
    if keyword_intent(body=body) == HELP:
        return Turn()  # the inbox answered it; the question still waits
    if asks_for_person(flow, body):
        return Turn(replies=[flow.handover_reply], handover="the customer asked for a person")
    if not is_open(sender_hours(conversation.sender_id), message.created_at):
        auto_replies_send(
            conversation=conversation,
            contact_is_new=False,
            intent="",
            written_at=message.created_at,
        )
        return Turn(handover="business hours are closed")
    if not session.step:
        return _walk(flow, session, flow.steps[0]["key"] if flow.steps else "")
    step = flow.step(session.step)
    if step is None:
        return Turn(handover="the flow changed under the talk")
    if step["kind"] == "question":
        answer = answer_matching(step, body)
        if answer is not None:
            session.answers.append({"q": step["text"], "a": answer["label"]})
            session.misses = 0
            return _walk(flow, session, answer["next"])
    elif step["kind"] == "ask_field" and body.strip():
        value = body.strip()[:FIELD_VALUE_MAX]
        contact_update(
            contact=conversation.contact,
            by=None,
            custom_fields={step["field"]: value},
            conversation=conversation,
        )
        session.answers.append({"q": step["text"], "a": value, "field": step["field"]})
        session.misses = 0
        return _walk(flow, session, step.get("next", ""))
    session.misses += 1
    if session.misses >= MISUNDERSTOOD_LIMIT:
        return Turn(
            replies=[flow.handover_reply], handover="it did not understand two answers in a row"
        )
    return Turn(replies=[flow.misunderstood_reply, question_text(step)])


def _walk(flow: BotFlow, session: BotSession, key: str) -> Turn:
    """Say the steps from ``key`` on, up to the next question (which then waits for its
    answer) or to the end of the flow (which hands over)."""
    turn = Turn()
    session.step = ""
    for _ in range(MAX_WALK):
        step = flow.step(key) if key else None
        if step is None:
            turn.replies.append(flow.handover_reply)
            turn.handover = "the flow ended"
            return turn
        if step["kind"] == "handover":
            turn.replies.append(step.get("text") or flow.handover_reply)
            turn.handover = "the flow reached a hand-over"
            return turn
        turn.replies.append(question_text(step))
        if step["kind"] in ("question", "ask_field"):
            session.step = step["key"]
            return turn
        key = step.get("next", "")
    turn.handover = "the flow went round in a circle"
    return turn


def _reply(conversation: Conversation, turn: Turn) -> list[str]:
    """Send the turn's texts as one automatic message (one SMS to pay for, one answer to
    read); a refusal hands over instead."""
    body = "\n\n".join(text.strip() for text in turn.replies if text and text.strip())
    if not body:
        return []
    try:
        message_send_automatic(conversation=conversation, body=body, kind=AutoKind.BOT)
    except SendRefused as refused:
        log.info("bot reply in %s refused: %s", conversation.public_id, refused)
        turn.handover = turn.handover or f"its reply was refused ({refused})"
        return [f"reply refused: {refused}"]
    return ["replied"]


def _hand_over(flow: BotFlow, session: BotSession, conversation: Conversation, why: str) -> None:
    lines = [f"Bot {flow.name} handed this over: {why}."]
    if session.answers:
        lines.append("Collected:")
        for answer in session.answers:
            saved = f" (saved as {answer['field']})" if answer.get("field") else ""
            lines.append(f"• {answer['q']} → {answer['a']}{saved}")
    else:
        lines.append("Nothing was collected.")
    conversation_bot_hand_over(
        conversation_id=conversation.pk, note="\n".join(lines), bot=flow.name
    )
    session.step, session.answers, session.misses = "", [], 0
