"""Factories (factory_boy) for the people, lines, contacts, conversations and messages tests
need when the story does not matter. A test that is about how a row comes to be (a customer
writing, an agent sending) goes through the service instead (``tests.conftest.receive``)."""

import factory
from factory.django import DjangoModelFactory

from inbox.models import (
    Channel,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    Role,
    SenderId,
    User,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.LazyAttribute(lambda user: user.username.title())
    role = Role.STANDARD
    password = factory.django.Password("password")


class SenderIdFactory(DjangoModelFactory):
    class Meta:
        model = SenderId

    address = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    channel = Channel.SMS
    label = factory.Sequence(lambda n: f"Line {n}")
    owner = factory.SubFactory(UserFactory)


class WhatsAppSenderIdFactory(SenderIdFactory):
    address = factory.Sequence(lambda n: f"whatsapp:+1415556{n % 10000:04d}")
    channel = Channel.WHATSAPP


class ContactFactory(DjangoModelFactory):
    """A contact with a phone number (saving it gives the number its identity)."""

    class Meta:
        model = Contact

    phone_e164 = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")


class ConversationFactory(DjangoModelFactory):
    """A conversation with the contact's number on the line (its identity of the line's
    channel is found or added when saved)."""

    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)
    sender_id = factory.SubFactory(SenderIdFactory)


class MessageFactory(DjangoModelFactory):
    """An agent's message, queued, on the conversation's channel."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = MessageDirection.OUTBOUND
    author = factory.LazyAttribute(lambda message: message.conversation.sender_id.owner)
    body = "Hi"
    status = MessageStatus.QUEUED
    channel = factory.LazyAttribute(lambda message: message.conversation.sender_id.channel)
