"""Conversation labels (F-CV12): from the header, in bulk, as a filter, on the rows."""

from django.urls import reverse

from inbox.models import ConversationEvent, Label

from ..conftest import receive


def label(client, conversation, **fields):
    url = reverse("inbox:labels", args=[conversation.public_id])
    return client.post(url, fields, headers={"HX-Request": "true"})


def test_a_label_is_added_and_removed_from_the_header(client, conversation, alice):
    client.force_login(alice)
    response = label(client, conversation, add="  Billing   issue ")
    assert response.status_code == 200
    assert 'aria-label="Remove label Billing issue"' in response.content.decode()
    assert [lbl.name for lbl in conversation.labels.all()] == ["Billing issue"]
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=ConversationEvent.Kind.LABELS, body="added Billing issue"
    ).exists()

    label(client, conversation, remove="Billing issue")
    assert not conversation.labels.exists()
    assert Label.objects.filter(name="Billing issue").exists()  # the name stays for reuse


def test_a_too_long_or_empty_label_is_refused_with_the_reason(client, conversation, alice):
    client.force_login(alice)
    response = label(client, conversation, add="x" * 51)
    assert response.status_code == 422
    assert "at most 50 characters" in response.content.decode()
    assert label(client, conversation, add="   ").status_code == 422
    assert not conversation.labels.exists()


def test_labels_are_404_to_another_agent_and_need_a_sign_in(client, conversation, bob):
    assert label(client, conversation, add="x").status_code == 302
    client.force_login(bob)
    assert label(client, conversation, add="x").status_code == 404
    assert not conversation.labels.exists()


def test_bulk_labels_many_conversations_and_rows_show_them(client, alice, alice_line):
    first = receive(alice_line, "+12025550101", "One").conversation
    second = receive(alice_line, "+12025550102", "Two").conversation
    other = receive(alice_line, "+12025550103", "Three").conversation
    client.force_login(alice)
    bulk = {"ids": [first.public_id, second.public_id], "action": "label", "label": "VIP"}
    assert client.post(reverse("inbox:bulk"), bulk).status_code == 302

    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert page.count('<span class="row-label">VIP</span>') == 2

    filtered = client.get(reverse("inbox:my_inbox"), {"conversation_label": "VIP"})
    assert {c.pk for c in filtered.context["conversations"]} == {first.pk, second.pk}
    assert other.pk not in {c.pk for c in filtered.context["conversations"]}

    bulk["action"] = "unlabel"
    client.post(reverse("inbox:bulk"), bulk)
    assert not first.labels.exists() and not second.labels.exists()


def test_the_contact_label_filter_still_filters_on_contact_labels(client, alice, conversation):
    vip = Label.objects.create(name="VIP")
    conversation.labels.add(vip)
    client.force_login(alice)
    response = client.get(reverse("inbox:my_inbox"), {"label": "VIP"})
    assert list(response.context["conversations"]) == []
    conversation.contact.labels.add(vip)
    response = client.get(reverse("inbox:my_inbox"), {"label": "VIP"})
    assert [c.pk for c in response.context["conversations"]] == [conversation.pk]


def test_bulk_labelling_someone_elses_conversation_is_404(client, bob, conversation):
    client.force_login(bob)
    bulk = {"ids": [conversation.public_id], "action": "label", "label": "VIP"}
    assert client.post(reverse("inbox:bulk"), bulk).status_code == 404
    assert not conversation.labels.exists()
