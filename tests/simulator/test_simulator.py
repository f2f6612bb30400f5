"""The built-in simulator (F-CH3): sends, reports progress, fails on demand, takes replies."""

from django.core.management import call_command
from django.urls import reverse

from inbox.models import Conversation, Message, MessageStatus, Organisation, SenderId, User

from ..conftest import receive


def start(client, alice, alice_line, phone, body, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:conversation_new"),
            {
                "sender": alice_line.pk,
                "phone": phone,
                "body": body,
                "idempotency_key": "k-" + phone,
            },
        )
    assert response.status_code == 302
    return Conversation.objects.get(contact__phone_e164=phone.replace(" ", ""))


def test_a_sent_message_goes_queued_sent_delivered(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    conversation = start(
        client, alice, alice_line, "+12025550123", "Hi!", django_capture_on_commit_callbacks
    )
    message = conversation.messages.get()
    assert message.status == MessageStatus.QUEUED
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert 'data-status="queued"' in page.content.decode()

    tasks.run_all(limit=1)  # the worker hands it to the simulator
    message.refresh_from_db()
    assert message.provider_sid.startswith("SM")
    assert message.status == MessageStatus.QUEUED

    tasks.run_all(limit=1)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at

    tasks.run_all()
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert 'data-status="delivered"' in page.content.decode()


def test_a_failing_number_is_refused_with_a_plain_reason(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    conversation = start(
        client, alice, alice_line, "+15005550001", "Hi", django_capture_on_commit_callbacks
    )
    tasks.run_all()
    message = conversation.messages.get()
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "21211"
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content.decode()
    assert "This phone number is not valid" in page


def test_an_unreachable_number_is_accepted_then_undelivered(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    conversation = start(
        client, alice, alice_line, "+15005550010", "Hi", django_capture_on_commit_callbacks
    )
    tasks.run_all()
    message = conversation.messages.get()
    assert message.status == MessageStatus.UNDELIVERED
    assert message.error_code == "30003"


def test_whatsapp_messages_are_also_reported_read(alice, tasks, django_capture_on_commit_callbacks):
    from inbox.models import Channel, SenderId
    from inbox.services.sending import message_send

    sender = SenderId.objects.create(
        address="whatsapp:+14155550142", channel=Channel.WHATSAPP, owner=alice
    )
    # The customer wrote first: WhatsApp's 24-hour window is open.
    conversation = receive(sender, "+12025550123", "Hola?").conversation
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(conversation=conversation, author=alice, body="Hola")
    tasks.run_all()
    message.refresh_from_db()
    assert message.status == MessageStatus.READ and message.read_at


def test_a_customer_reply_from_the_phone_page_arrives_unread_in_my_inbox(client, alice, alice_line):
    client.force_login(alice)
    response = client.post(
        reverse("simulator:phone"),
        {"sender": alice_line.public_id, "phone": "+1 202 555 0123", "body": "Where is my order?"},
    )
    assert response.status_code == 302
    message = Message.objects.get(body="Where is my order?")
    assert message.direction == "in"
    assert message.conversation.owner == alice

    inbox = client.get(reverse("inbox:my_inbox")).content.decode()
    assert "Where is my order?" in inbox
    assert "conversation-row unread" in inbox

    client.get(reverse("inbox:conversation", args=[message.conversation.public_id]))
    inbox = client.get(reverse("inbox:my_inbox")).content.decode()
    assert "conversation-row unread" not in inbox


def test_the_phone_page_shows_the_customer_side_of_the_thread(client, alice, alice_line):
    receive(alice_line, "+12025550123", "First question")
    client.force_login(alice)
    page = client.get(
        reverse("simulator:phone"), {"sender": alice_line.public_id, "phone": "+12025550123"}
    ).content.decode()
    assert "First question" in page


def test_the_phone_page_rejects_a_malformed_number(client, alice, alice_line):
    client.force_login(alice)
    response = client.post(
        reverse("simulator:phone"),
        {"sender": alice_line.public_id, "phone": "12345", "body": "hi"},
    )
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_the_phone_page_is_off_when_twilio_is_configured(client, alice, settings):
    settings.CONVERSE_PROVIDER = "twilio"
    client.force_login(alice)
    assert client.get(reverse("simulator:phone")).status_code == 404


def test_the_phone_page_shows_and_offers_only_lines_the_user_may_open(
    client, alice, bob, alice_line, bob_line
):
    receive(alice_line, "+12025550123", "For Alice only")
    client.force_login(bob)
    page = client.get(
        reverse("simulator:phone"), {"sender": alice_line.public_id, "phone": "+12025550123"}
    ).content.decode()
    assert "For Alice only" not in page
    assert alice_line.public_id not in page.split('name="sender"')[1].split("</select>")[0]
    response = client.post(
        reverse("simulator:phone"),
        {"sender": alice_line.public_id, "phone": "+12025550123", "body": "Injected"},
    )
    assert response.status_code == 422
    assert not Message.objects.filter(body="Injected").exists()


def test_uploaded_media_are_never_served_from_media_url(client, alice, settings):
    settings.DEBUG = True
    client.force_login(alice)
    assert client.get("/media/attachments/x/evil.html").status_code == 404


def post_as_customer(client, sender, phone, body):
    return client.post(
        reverse("simulator:phone"), {"sender": sender.public_id, "phone": phone, "body": body}
    )


def test_an_agent_cannot_write_into_a_grab_conversation_another_agent_owns(client, alice, bob):
    from inbox.models import Channel, SenderId, Team, TeamMode

    team = Team.objects.create(name="Grabbers", mode=TeamMode.GRAB)
    team.members.add(alice, bob)
    line = SenderId.objects.create(address="+14155550177", channel=Channel.SMS, team=team)
    conversation = receive(line, "+12025550123", "Help").conversation
    conversation.owner = alice
    conversation.save()
    client.force_login(bob)

    response = post_as_customer(client, line, "+12025550123", "Injected by Bob")
    assert response.status_code == 422
    assert "conversation you can open" in response.content.decode()
    assert not Message.objects.filter(body="Injected by Bob").exists()


def test_an_agent_cannot_text_stop_as_a_customer_they_cannot_see(client, alice_line, bob, bob_line):
    from inbox.models import Contact

    receive(alice_line, "+12025550123", "Alice's customer")
    client.force_login(bob)
    response = post_as_customer(client, bob_line, "+12025550123", "STOP")
    assert response.status_code == 422
    assert Contact.objects.get(phone_e164="+12025550123").sms_opted_out_at is None
    assert alice_line.conversations.count() == 1


def test_a_new_number_may_still_write_in(client, bob, bob_line):
    client.force_login(bob)
    assert post_as_customer(client, bob_line, "+12025550188", "Hello there").status_code == 302


def test_the_phone_page_is_off_with_any_twilio_credential(client, alice, alice_line, settings):
    settings.TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000001"
    client.force_login(alice)
    assert client.get(reverse("simulator:phone")).status_code == 404
    assert post_as_customer(client, alice_line, "+12025550123", "Hi").status_code == 404
    assert not Message.objects.exists()


def test_the_phone_page_reads_a_number_without_country_code_in_the_organisations_region(
    client, alice, alice_line
):
    Organisation.objects.update_or_create(pk=1, defaults={"phone_region": "US"})
    client.force_login(alice)
    response = post_as_customer(client, alice_line, "(202) 555-0123", "Hello from a US phone")
    assert response.status_code == 302
    message = Message.objects.get(body="Hello from a US phone")
    assert message.conversation.customer_address == "+12025550123"


def test_the_phone_page_offers_its_sender_ids_without_an_empty_dash_choice(
    client, alice, alice_line, shared_line
):
    client.force_login(alice)
    page = client.get(reverse("simulator:phone")).content.decode()
    assert "---------" not in page
    assert '<option value="" selected>Choose a sender ID</option>' in page


def test_in_the_demo_a_us_number_without_its_country_code_is_read(client, db):
    call_command("seed_demo", verbosity=0)
    alice = User.objects.get(username="alice")
    line = SenderId.objects.get(label="Alice's line")
    client.force_login(alice)

    response = post_as_customer(client, line, "(202) 555-0177", "Hello from the demo")

    assert response.status_code == 302
    message = Message.objects.get(body="Hello from the demo")
    assert message.conversation.customer_address == "+12025550177"
