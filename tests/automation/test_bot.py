"""The bot that answers first (F-AU5): a customer talks to a flow on a line, which answers
from the worker, saves what it is told and hands over to a person with a note."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automation.bot import bot_answer
from automation.managing import bot_flow_save, bot_step_save
from automation.models import BotSession
from inbox.models import (
    AutoKind,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    Message,
    MessageDirection,
)
from inbox.selectors.counts import inbox_nav, team_agents, unread_count
from inbox.services.conversation_status import conversation_set_status
from inbox.services.refusals import SendRefused
from inbox.services.sending import message_send, message_send_automatic
from inbox.waiting import WaitingState, waiting_q

from ..conftest import CUSTOMER, receive
from ..inbox.hours_support import set_office_hours

STEPS = [
    {
        "key": "menu",
        "kind": "question",
        "text": "Hello! What do you need?",
        "answers": [
            {"label": "Sales", "keywords": ["buy", "price"], "next": "email"},
            {"label": "Opening hours", "keywords": ["open"], "next": "hours"},
        ],
    },
    {"key": "email", "kind": "ask_field", "text": "Your e-mail?", "field": "email", "next": ""},
    {"key": "hours", "kind": "message", "text": "We open at nine.", "next": "menu"},
]


@pytest.fixture
def flow(admin, alice_line):
    flow = bot_flow_save(
        by=admin,
        name="Front desk",
        sender=alice_line,
        is_active=False,
        handover_words="agent, real person",
        handover_reply="A person will answer shortly.",
        misunderstood_reply="Sorry, I did not understand.",
    )
    for step in STEPS:
        flow = bot_step_save(by=admin, flow=flow, step=step)
    flow.is_active = True
    return bot_flow_save(
        by=admin,
        flow=flow,
        name=flow.name,
        sender=alice_line,
        is_active=True,
        handover_words=flow.handover_words,
        handover_reply=flow.handover_reply,
        misunderstood_reply=flow.misunderstood_reply,
    )


@pytest.fixture
def say(flow, deliver, alice_line):
    """The customer writes on the bot's line; the worker's tasks run (the bot's included)."""

    def run(body: str, customer: str = CUSTOMER) -> Conversation:
        return Conversation.objects.get(pk=deliver(alice_line, customer, body).conversation_id)

    return run


def bot_lines(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, auto_kind=AutoKind.BOT)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def notes(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.NOTE
        ).values_list("body", flat=True)
    )


def test_a_new_customer_gets_the_menu_and_nobody_waits_or_has_it_unread(say, alice):
    conversation = say("Hi there")
    assert bot_lines(conversation) == ["Hello! What do you need?\n1. Sales\n2. Opening hours"]
    assert conversation.with_bot and conversation.waiting_since is None
    assert unread_count(user=alice) == 0
    now = timezone.now()
    assert not Conversation.objects.filter(waiting_q(WaitingState.PENDING, now=now)).exists()
    assert not Conversation.objects.filter(waiting_q(WaitingState.REP_NEEDED, now=now)).exists()


def test_a_numbered_answer_follows_its_branch(say):
    say("Hi")
    conversation = say("2")
    assert bot_lines(conversation)[-1] == (
        "We open at nine.\n\nHello! What do you need?\n1. Sales\n2. Opening hours"
    )
    assert conversation.with_bot


def test_a_keyword_answer_follows_its_branch_and_the_answer_is_saved_in_a_contact_field(say):
    say("Hi")
    conversation = say("I want to know the price")
    assert bot_lines(conversation)[-1] == "Your e-mail?"
    conversation = say("vera@example.com")
    saved = ContactFieldValue.objects.get(contact=conversation.contact, field__name="email")
    assert saved.value == "vera@example.com"
    # The flow ended there: a person takes over, with what was collected.
    assert bot_lines(conversation)[-1] == "A person will answer shortly."
    assert not conversation.with_bot and conversation.waiting_since is not None
    (note,) = notes(conversation)
    assert "Bot Front desk handed this over: the flow ended." in note
    assert "Hello! What do you need? → Sales" in note
    assert "Your e-mail? → vera@example.com (saved as email)" in note


def test_two_answers_not_understood_in_a_row_hand_over(say, alice):
    say("Hi")
    conversation = say("bananas")
    assert bot_lines(conversation)[-1].startswith("Sorry, I did not understand.\n\nHello!")
    assert conversation.with_bot
    conversation = say("more bananas")
    assert not conversation.with_bot
    assert "it did not understand two answers in a row" in notes(conversation)[0]
    assert unread_count(user=alice) == 1
    assert Conversation.objects.filter(waiting_q(WaitingState.PENDING, now=timezone.now())).exists()


def test_a_handover_word_reaches_a_person_at_any_step(say):
    say("Hi")
    conversation = say("Can I talk to a REAL person please")
    assert bot_lines(conversation)[-1] == "A person will answer shortly."
    assert not conversation.with_bot
    assert "the customer asked for a person" in notes(conversation)[0]
    # The person has it now: the bot answers no more.
    conversation = say("1")
    assert len(bot_lines(conversation)) == 2


def test_closed_business_hours_hand_over_with_the_out_of_hours_reply(say, settings):
    other_day = str((timezone.now().weekday() + 3) % 7)  # open another day of the week only
    set_office_hours(
        week={other_day: [["09:00", "10:00"]]},
        zone="UTC",
        out_of_hours_reply="We are closed; we open {{opens_at}}.",
    )
    conversation = say("Hi")
    assert bot_lines(conversation) == []
    assert not conversation.with_bot
    assert "business hours are closed" in notes(conversation)[0]
    assert Message.objects.filter(
        conversation=conversation, auto_kind=AutoKind.OUT_OF_HOURS
    ).exists()


def test_an_opted_out_customer_gets_nothing_from_the_bot(say):
    say("Hi")
    conversation = say("STOP")
    assert len(bot_lines(conversation)) == 1  # the menu, before
    assert not conversation.with_bot
    assert "the customer opted out" in notes(conversation)[0]


def test_a_person_replying_takes_the_conversation_from_the_bot(say, alice):
    conversation = say("Hi")
    message_send(conversation=conversation, author=alice, body="Alice here, how can I help?")
    conversation.refresh_from_db()
    assert not conversation.with_bot
    conversation = say("1")
    assert len(bot_lines(conversation)) == 1


def test_the_bots_reply_is_automatic_and_no_first_response(say):
    conversation = say("Hi")
    reply = Message.objects.get(conversation=conversation, direction=MessageDirection.OUTBOUND)
    assert reply.author is None and reply.auto_kind == AutoKind.BOT
    assert conversation.first_response_at is None


def test_a_retried_task_answers_once(say):
    conversation = say("Hi")
    message = Message.objects.filter(conversation=conversation, direction="in").get()
    assert bot_answer(conversation_id=conversation.pk, message_id=message.pk) == "already answered"
    assert len(bot_lines(conversation)) == 1


def test_a_conversation_people_are_in_is_left_to_them(admin, alice_line, flow, deliver):
    receive(alice_line, "+12025550999", "Before the bot")  # the flow was already on: the bot has it
    Conversation.objects.update(with_bot=False)
    message = deliver(alice_line, "+12025550999", "Hello again")
    assert bot_lines(message.conversation) == []
    assert not BotSession.objects.exists()


def test_the_navigation_counts_nothing_unread_while_the_bot_talks(say, alice, admin):
    say("Hi")
    nav = inbox_nav(user=alice)
    assert nav.mine == 0 and all(s.unread == 0 for s in nav.senders)
    assert inbox_nav(user=admin).senders[0].unread == 0
    assert [a.unread for a in team_agents() if a.pk == alice.pk] == [0]


def test_a_bot_reply_outside_the_whatsapp_window_is_refused(wa_line):
    conversation = receive(wa_line, "whatsapp:+12025550123", "Hi").conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now() - timedelta(days=2)
    )
    conversation.refresh_from_db()
    with pytest.raises(SendRefused):
        message_send_automatic(conversation=conversation, body="Hello", kind=AutoKind.BOT)


def test_a_closed_conversation_the_customer_writes_in_again_goes_back_to_the_bot(say, alice):
    say("Hi")
    conversation = say("agent")
    conversation_set_status(conversation=conversation, status="closed", by=alice)
    conversation.refresh_from_db()
    assert not conversation.with_bot
    conversation = say("Hello again")
    assert conversation.with_bot
    assert bot_lines(conversation)[-1].startswith("Hello! What do you need?")


def test_help_gets_the_inbox_answer_and_the_question_still_waits(say):
    say("Hi")
    conversation = say("HELP")
    assert len(bot_lines(conversation)) == 1
    assert Message.objects.filter(conversation=conversation, auto_kind=AutoKind.HELP).exists()
    conversation = say("2")
    assert bot_lines(conversation)[-1].startswith("We open at nine.")
