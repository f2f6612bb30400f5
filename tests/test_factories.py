"""The factories build rows as the services would leave them: a contact's number is one of
its identities, and a conversation is with that identity on its line's channel."""

from inbox.models import Channel, IdentityKind

from .factories import ConversationFactory, MessageFactory, WhatsAppSenderIdFactory


def test_a_conversation_is_with_its_contacts_number_on_the_lines_channel(db):
    conversation = ConversationFactory(contact__phone_e164="+12025550123")

    assert conversation.customer_address == "+12025550123"
    assert conversation.identity.contact == conversation.contact
    assert conversation.identity.kind == IdentityKind.PHONE
    assert conversation.sender_id.channel == Channel.SMS


def test_a_whatsapp_conversation_is_with_the_whatsapp_identity(db):
    conversation = ConversationFactory(sender_id=WhatsAppSenderIdFactory())

    assert conversation.identity.kind == IdentityKind.WHATSAPP
    assert conversation.identity.address == conversation.contact.phone_e164


def test_a_message_is_the_line_owners_on_the_lines_channel(db):
    message = MessageFactory()

    assert message.author == message.conversation.sender_id.owner
    assert message.channel == message.conversation.sender_id.channel
