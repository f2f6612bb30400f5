"""Saved replies with merge fields (F-TP1) and the compose box's picker (F-TP3)."""

import pytest
from django.urls import reverse

from inbox.models import Channel, SavedReply
from inbox.services.contacts import contact_update
from inbox.services.saved_replies import ReplyRefused, saved_reply_save

from ..conftest import receive


@pytest.fixture
def conversation(alice, alice_line):
    conversation = receive(alice_line, "+12025550123").conversation
    contact_update(
        contact=conversation.contact,
        by=alice,
        display_name="Maria Garcia",
        custom_fields={"Order ID": "A-17", "Delivery date": ""},
    )
    return conversation


def picker(client, conversation, q=""):
    url = reverse("inbox:reply_picker", args=[conversation.public_id])
    return client.get(url, {"q": q})


def test_an_unknown_field_is_refused_when_the_reply_is_saved(client, alice, conversation):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:reply_new"), {"title": "Hi", "body": "Hello {{nickname}}", "channel": ""}
    )
    assert response.status_code == 422
    assert "Unknown field {{nickname}}" in response.content.decode()
    assert not SavedReply.objects.exists()
    response = client.post(
        reverse("inbox:reply_new"),
        {"title": "Order", "body": "Hi {{first_name}}, order {{order_id}}", "channel": ""},
    )
    assert response.status_code == 302
    assert SavedReply.objects.get().owner == alice


def test_the_picker_merges_the_contact_and_the_agent(client, alice, conversation):
    saved_reply_save(
        by=alice,
        title="Shipped",
        body="Hi {{first_name}} ({{name}}, {{phone}}): order {{ order_id }} shipped."
        " {{agent_name}}",
        shared=False,
    )
    client.force_login(alice)
    html = picker(client, conversation).content.decode()
    assert "Hi Maria (Maria Garcia, +1 202-555-0123): order A-17 shipped. Alice" in html
    assert "reply-missing-field" not in html


def test_a_field_the_contact_has_no_value_for_is_named_to_be_asked(
    client, admin, alice, conversation
):
    saved_reply_save(by=admin, title="Date", body="Arrives {{delivery_date}}", shared=True)
    client.force_login(alice)
    html = picker(client, conversation).content.decode()
    assert 'data-text="Arrives {{delivery_date}}"' in html
    assert 'data-key="delivery_date" data-label="Delivery date"' in html
    assert "Asks for: Delivery date" in html


def test_a_message_with_an_unfilled_placeholder_is_not_sent(client, alice, conversation, tasks):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "Arrives {{delivery_date}}", "idempotency_key": "k"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Fill in {{delivery_date}} before sending." in response.content.decode()
    assert not tasks.queued


def test_the_picker_searches_and_offers_shared_and_own_replies_for_the_channel(
    client, admin, alice, bob, conversation
):
    saved_reply_save(by=admin, title="Opening hours", body="We open at 9", shared=True)
    saved_reply_save(by=alice, title="My sign-off", body="Cheers, {{agent_name}}", shared=False)
    saved_reply_save(by=bob, title="Bob's own", body="Bob here", shared=False)
    saved_reply_save(
        by=admin, title="WhatsApp only", body="Hi", shared=True, channel=Channel.WHATSAPP
    )
    client.force_login(alice)
    html = picker(client, conversation).content.decode()
    assert "Opening hours" in html and "My sign-off" in html
    assert "Bob&#x27;s own" not in html and "WhatsApp only" not in html
    html = picker(client, conversation, "sign").content.decode()
    assert "My sign-off" in html and "Opening hours" not in html


def test_only_admins_share_and_manage_shared_replies(client, admin, alice, bob):
    with pytest.raises(ReplyRefused):
        saved_reply_save(by=alice, title="x", body="y", shared=True)
    shared = saved_reply_save(by=admin, title="Shared", body="y", shared=True)
    own = saved_reply_save(by=alice, title="Own", body="y", shared=False)
    client.force_login(alice)
    assert client.get(reverse("inbox:reply_edit", args=[shared.public_id])).status_code == 404
    assert client.get(reverse("inbox:reply_edit", args=[own.public_id])).status_code == 200
    page = client.get(reverse("inbox:replies")).content.decode()
    assert "Shared" in page and "Own" in page
    client.force_login(bob)
    assert client.get(reverse("inbox:reply_edit", args=[own.public_id])).status_code == 404
    assert client.post(reverse("inbox:reply_delete", args=[own.public_id])).status_code == 404
    client.force_login(admin)
    assert client.get(reverse("inbox:reply_edit", args=[shared.public_id])).status_code == 200
    assert client.post(reverse("inbox:reply_delete", args=[shared.public_id])).status_code == 302
    assert not SavedReply.objects.filter(pk=shared.pk).exists()
    client.logout()
    assert client.get(reverse("inbox:replies")).status_code == 302


def test_the_picker_is_for_conversations_the_user_may_open(client, carol, conversation):
    client.force_login(carol)
    assert picker(client, conversation).status_code == 404


def test_numbered_template_variables_are_not_taken_for_placeholders(client, alice, conversation):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "Your code is {{1}}", "idempotency_key": "k"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200


def choose(client, conversation, params=None):
    url = reverse("inbox:reply_choose", args=[conversation.public_id])
    return client.get(url, params or {})


def test_without_javascript_the_picker_is_a_page_that_fills_the_compose_box(
    client, alice, conversation
):
    reply = saved_reply_save(
        by=alice,
        title="Shipped",
        body="Hi {{first_name}}: order {{order_id}} shipped.",
        shared=False,
    )
    client.force_login(alice)
    window = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    picker_url = reverse("inbox:reply_choose", args=[conversation.public_id])
    assert f'href="{picker_url}"' in window.content.decode()  # the Saved replies button
    page = choose(client, conversation)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hi Maria: order A-17 shipped." in html
    assert f'href="{picker_url}?reply={reply.public_id}"' in html
    response = choose(client, conversation, {"reply": reply.public_id})
    assert response.status_code == 302
    opened = client.get(response.url)
    assert '<textarea name="body"' in opened.content.decode()
    assert ">Hi Maria: order A-17 shipped.</textarea>" in opened.content.decode()


def test_without_javascript_the_values_the_contact_lacks_are_asked_in_a_form(
    client, admin, alice, conversation
):
    reply = saved_reply_save(
        by=admin, title="Date", body="Order {{order_id}} arrives {{delivery_date}}.", shared=True
    )
    client.force_login(alice)
    page = choose(client, conversation, {"reply": reply.public_id})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_value-delivery_date">Delivery date</label>' in html
    assert 'name="reply" value="' + reply.public_id + '"' in html
    refused = choose(client, conversation, {"reply": reply.public_id, "value-delivery_date": " "})
    assert refused.status_code == 422
    assert "Fill in Delivery date to insert the reply." in refused.content.decode()
    done = choose(client, conversation, {"reply": reply.public_id, "value-delivery_date": "Friday"})
    assert done.status_code == 302
    html = client.get(done.url).content.decode()
    assert ">Order A-17 arrives Friday.</textarea>" in html


def test_without_javascript_the_picker_searches_and_keeps_to_what_the_user_may_use(
    client, alice, bob, carol, conversation
):
    saved_reply_save(by=alice, title="Opening hours", body="We open at 9", shared=False)
    bobs = saved_reply_save(by=bob, title="Bob's own", body="Bob here", shared=False)
    whatsapp = saved_reply_save(
        by=alice, title="On WhatsApp", body="Hi", shared=False, channel=Channel.WHATSAPP
    )
    client.force_login(alice)
    html = choose(client, conversation, {"q": "hours"}).content.decode()
    assert "Opening hours" in html and 'value="hours"' in html
    assert choose(client, conversation, {"q": "nothing like it"}).status_code == 200
    for other in (bobs, whatsapp):
        assert choose(client, conversation, {"reply": other.public_id}).status_code == 404
    assert choose(client, conversation, {"reply": "nope"}).status_code == 404
    client.force_login(carol)
    assert choose(client, conversation).status_code == 404


def test_the_picker_page_queries_are_pinned(client, alice, conversation, django_assert_num_queries):
    for i in range(3):
        saved_reply_save(by=alice, title=f"Reply {i}", body="Hi {{order_id}}", shared=False)
    client.force_login(alice)
    # Session, user, reach, the conversation, the contact's labels, fields and changes, the
    # custom fields' labels, the replies, the top bar's unread count.
    with django_assert_num_queries(10):
        choose(client, conversation)


def test_a_reply_keeps_its_subject_on_one_line_and_refuses_an_unknown_field_in_it(
    client, alice, conversation
):
    client.force_login(alice)
    refused = client.post(
        reverse("inbox:reply_new"),
        {"title": "Refund", "subject": "Refund for {{nickname}}", "body": "Done.", "channel": ""},
    )
    assert refused.status_code == 422
    assert "Unknown field {{nickname}}" in refused.content.decode()
    saved = client.post(
        reverse("inbox:reply_new"),
        {
            "title": "Refund",
            "subject": "Your refund,\r\n {{first_name}}",
            "body": "Done.",
            "channel": "",
        },
    )
    assert saved.status_code == 302
    reply = SavedReply.objects.get()
    assert reply.subject == "Your refund, {{first_name}}"
    page = client.get(reverse("inbox:reply_edit", args=[reply.public_id])).content.decode()
    assert 'value="Your refund, {{first_name}}"' in page
    assert "E-mail only: the subject of the mail" in page
    listed = client.get(reverse("inbox:replies")).content.decode()
    assert "Subject: Your refund, {{first_name}}" in listed


def test_a_text_channel_ignores_a_replys_subject(client, alice, conversation, tasks):
    reply = saved_reply_save(
        by=alice, title="Refund", subject="Refund {{order_id}}", body="Refunded.", shared=False
    )
    client.force_login(alice)
    html = picker(client, conversation).content.decode()
    assert 'data-text="Refunded." data-subject=""' in html
    window = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert 'id="id_subject"' not in window.content.decode()
    done = choose(client, conversation, {"reply": reply.public_id})
    assert "subject=" not in done.url
    # A subject posted anyway is not kept: SMS has none.
    url = reverse("inbox:send", args=[conversation.public_id])
    client.post(url, {"body": "Refunded.", "subject": "Sneaky", "idempotency_key": "k-sms-1"})
    assert conversation.messages.get(body="Refunded.").subject == ""
