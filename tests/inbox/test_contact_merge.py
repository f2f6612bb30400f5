"""Merging two contacts that are the same person (F-CT4): the service's rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    CustomField,
    Message,
    MessageDirection,
)
from inbox.selectors.contacts import ContactFilters, contacts_filtered
from inbox.selectors.lists import search_q
from inbox.services.consent import contact_consent_change
from inbox.services.contact_merge import MergeRefused, contacts_merge, merge_plan
from inbox.services.contacts import ContactRefused, contact_create, contact_update
from inbox.services.conversations import conversation_start
from inbox.services.sending import SendRefused, message_send
from inbox.services.whatsapp_consent import whatsapp_consent_set

from ..conftest import receive

MARIA = "+12025550123"
MARIA_WORK = "+12025550177"


@pytest.fixture
def maria(alice_line):
    conversation = receive(alice_line, MARIA).conversation
    Contact.objects.filter(pk=conversation.contact_id).update(display_name="Maria Garcia")
    return Contact.objects.get(pk=conversation.contact_id)


@pytest.fixture
def maria_work(alice_line, bob_line):
    """The same person writing from her work phone, on Alice's line and on Bob's."""
    receive(alice_line, MARIA_WORK)
    receive(bob_line, MARIA_WORK)
    return Contact.objects.get(phone_e164=MARIA_WORK)


def merge(kept, merged, by):
    return contacts_merge(kept=kept, merged=merged, by=by)


def test_conversations_move_to_the_kept_contact_and_keep_their_own_numbers(
    admin, maria, maria_work, alice_line
):
    merge(maria, maria_work, admin)

    assert not Contact.objects.filter(pk=maria_work.pk).exists()
    threads = Conversation.objects.filter(contact=maria).order_by("pk")
    assert [(c.sender_id.label, c.customer_address) for c in threads] == [
        ("Alice's line", MARIA),
        ("Alice's line", MARIA_WORK),
        ("Bob's line", MARIA_WORK),
    ]
    # After the merge the contact has two conversations on one sender ID, one per number.
    assert threads.filter(sender_id=alice_line).count() == 2


def test_the_merged_contacts_number_becomes_a_secondary_number(admin, maria, maria_work):
    merge(maria, maria_work, admin)

    assert maria.other_numbers == [MARIA_WORK]
    maria.refresh_from_db()
    assert maria.phone_e164 == MARIA


def test_a_kept_contact_without_a_phone_takes_the_merged_number_as_its_phone(admin, maria_work):
    kept = Contact.objects.create(display_name="Maria Garcia", email="maria@example.com")

    merge(kept, maria_work, admin)

    kept.refresh_from_db()
    assert kept.phone_e164 == MARIA_WORK
    assert not kept.other_numbers
    history = kept.changes.get(source=ContactChange.Source.MERGED).changes
    assert {"field": "Phone", "old": "", "new": "+1 202-555-0177"} in history
    assert "Other numbers" not in [change["field"] for change in history]


def test_a_customer_message_to_the_secondary_number_lands_in_its_conversation(
    admin, maria, maria_work, alice_line
):
    before = Conversation.objects.get(sender_id=alice_line, customer_address=MARIA_WORK)
    merge(maria, maria_work, admin)

    message = receive(alice_line, MARIA_WORK, "It's me again")

    assert message.conversation == before
    assert message.conversation.contact == maria
    assert Contact.objects.count() == 1


def test_a_new_conversation_from_the_secondary_number_belongs_to_the_kept_contact(
    admin, maria, alice_line, shared_line
):
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    merge(maria, other, admin)

    message = receive(shared_line, MARIA_WORK)

    assert message.conversation.contact == maria
    assert message.conversation.customer_address == MARIA_WORK
    assert Contact.objects.count() == 1


def test_starting_a_conversation_to_the_secondary_number_reuses_the_kept_contact(
    admin, alice, maria, alice_line, tasks
):
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    merge(maria, other, admin)

    conversation, _ = conversation_start(
        user=alice, sender=alice_line, phone="+1 202 555 0177", body="Hello at work"
    )

    assert conversation.contact == maria
    assert conversation.customer_address == MARIA_WORK
    again, _ = conversation_start(
        user=alice, sender=alice_line, phone=MARIA_WORK, body="Still there?"
    )
    assert again == conversation


def test_sends_in_a_moved_conversation_go_to_its_own_number(
    admin, alice, maria, maria_work, alice_line, tasks
):
    merge(maria, maria_work, admin)
    work = Conversation.objects.get(sender_id=alice_line, customer_address=MARIA_WORK)

    message = message_send(conversation=work, author=alice, body="Hi at work")

    assert message.conversation.customer_address == MARIA_WORK
    assert message.conversation.contact.phone_e164 == MARIA


def test_empty_details_and_fields_are_filled_from_the_merged_contact(alice, admin, maria):
    other = Contact.objects.create(phone_e164=MARIA_WORK, email="maria@work.example")
    contact_update(contact=other, by=alice, custom_fields={"Order ID": "A-17"})

    merge(maria, other, admin)

    maria.refresh_from_db()
    assert maria.email == "maria@work.example"
    assert maria.display_name == "Maria Garcia"
    [value] = maria.field_values.all()
    assert (str(value.field), value.value) == ("Order ID", "A-17")


def test_a_value_both_have_keeps_the_kept_ones_and_the_history_says_what_was_dropped(
    alice, admin, maria
):
    contact_update(contact=maria, by=alice, email="maria@home.example")
    contact_update(contact=maria, by=alice, custom_fields={"Order ID": "A-1"})
    other = Contact.objects.create(phone_e164=MARIA_WORK, display_name="M. Garcia")
    contact_update(
        contact=other, by=alice, email="maria@work.example", custom_fields={"Order ID": "B-2"}
    )
    maria.refresh_from_db()
    other.refresh_from_db()

    plan = merge_plan(kept=maria, merged=other)
    assert {(c.label, c.kept_value, c.merged_value) for c in plan.conflicts} == {
        ("Name", "Maria Garcia", "M. Garcia"),
        ("Email", "maria@home.example", "maria@work.example"),
        ("Order ID", "A-1", "B-2"),
    }
    merge(maria, other, admin)

    maria.refresh_from_db()
    assert (maria.display_name, maria.email) == ("Maria Garcia", "maria@home.example")
    assert ContactFieldValue.objects.get(contact=maria).value == "A-1"
    entry = ContactChange.objects.filter(contact=maria, source=ContactChange.Source.MERGED).get()
    assert entry.actor == admin
    assert {
        "field": "Order ID (not kept from the merged contact)",
        "old": "B-2",
        "new": "A-1",
    } in entry.changes


def test_an_empty_value_on_the_kept_contact_is_filled(alice, admin, maria):
    field = CustomField.objects.create(name="order_id", label="Order ID")
    ContactFieldValue.objects.create(contact=maria, field=field, value="")
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    ContactFieldValue.objects.create(contact=other, field=field, value="B-2")

    merge(maria, other, admin)

    assert ContactFieldValue.objects.get(contact=maria).value == "B-2"


def test_labels_are_the_union_of_both(alice, admin, maria):
    contact_update(contact=maria, by=alice, labels=["VIP"])
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    contact_update(contact=other, by=alice, labels=["VIP", "Wholesale"])

    merge(maria, other, admin)

    assert sorted(label.name for label in maria.labels.all()) == ["VIP", "Wholesale"]


def test_consent_records_and_history_move_and_a_change_records_the_merge(
    alice, admin, maria, maria_work
):
    contact_update(contact=maria_work, by=alice, display_name="Maria (work)")
    contact_consent_change(contact=maria_work, conversation=None, opted_out=True, source="entered")
    contact_consent_change(contact=maria_work, conversation=None, opted_out=False, source="entered")

    merge(maria, maria_work, admin)

    assert ConsentRecord.objects.filter(contact=maria).count() == 2
    sources = list(maria.changes.values_list("source", flat=True))
    assert sources == [ContactChange.Source.MERGED, ContactChange.Source.EDITED]
    merged_in = maria.changes.first().changes[0]
    assert merged_in == {"field": "Merged in", "old": "", "new": "Maria (work) (+1 202-555-0177)"}


def test_an_opted_out_number_stays_unsendable_after_the_merge(
    admin, alice, maria, maria_work, alice_line, bob, bob_line, tasks
):
    receive(bob_line, MARIA_WORK, "STOP")

    merge(maria, maria_work, admin)

    maria.refresh_from_db()
    assert maria.sms_opted_out_at is not None
    for conversation in Conversation.objects.filter(contact=maria).select_related("sender_id"):
        author = bob if conversation.sender_id == bob_line else alice
        with pytest.raises(SendRefused, match="opted out"):
            message_send(conversation=conversation, author=author, body="Hello")
    assert not Message.objects.filter(direction=MessageDirection.OUTBOUND).exists()
    assert maria.changes.first().changes[-2:] == [
        {"field": "SMS", "old": "Not opted out", "new": "Opted out"},
        {"field": "Other numbers", "old": "", "new": "+1 202-555-0177"},
    ]


def test_the_kept_contacts_opt_out_covers_the_moved_conversations(
    admin, alice, maria, maria_work, alice_line, tasks
):
    receive(alice_line, MARIA, "STOP")

    merge(maria, maria_work, admin)

    work = Conversation.objects.get(sender_id=alice_line, customer_address=MARIA_WORK)
    with pytest.raises(SendRefused, match="opted out"):
        message_send(conversation=work, author=alice, body="Hello")


def test_whatsapp_consent_stays_when_either_gave_it_and_nobody_withdrew_it(admin, maria):
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    whatsapp_consent_set(contact=other, granted=True, source="verbal", actor=admin)

    merge(maria, other, admin)

    maria.refresh_from_db()
    assert maria.whatsapp_consent_at is not None


def test_whatsapp_consent_withdrawn_later_on_the_other_contact_is_not_kept(admin, maria):
    other = Contact.objects.create(phone_e164=MARIA_WORK)
    whatsapp_consent_set(contact=maria, granted=True, source="verbal", actor=admin)
    ConsentRecord.objects.filter(contact=maria).update(at=timezone.now() - timedelta(days=2))
    Contact.objects.filter(pk=maria.pk).update(
        whatsapp_consent_at=timezone.now() - timedelta(days=2)
    )
    whatsapp_consent_set(contact=other, granted=True, source="verbal", actor=admin)
    whatsapp_consent_set(contact=other, granted=False, source="verbal", actor=admin)
    maria.refresh_from_db()

    merge(maria, other, admin)

    maria.refresh_from_db()
    assert maria.whatsapp_consent_at is None


def test_every_thread_of_both_contacts_records_the_merge(admin, maria, maria_work):
    merge(maria, maria_work, admin)

    events = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.MERGED)
    assert events.count() == Conversation.objects.count() == 3
    event = events.first()
    assert event.actor == admin
    assert event.body == "+1 202-555-0177 into Maria Garcia (+1 202-555-0123)"


def test_the_last_activity_is_the_newest_of_both(admin, maria, maria_work):
    Contact.objects.filter(pk=maria.pk).update(last_activity_at=timezone.now() - timedelta(9))
    maria.refresh_from_db()
    newest = Contact.objects.get(pk=maria_work.pk).last_activity_at

    merge(maria, maria_work, admin)

    maria.refresh_from_db()
    assert maria.last_activity_at == newest


def test_moved_threads_are_marked_changed_for_live_views(admin, maria, maria_work):
    before = timezone.now()

    merge(maria, maria_work, admin)

    assert all(c.changed_at >= before for c in Conversation.objects.all())


def test_only_an_admin_merges(alice, maria, maria_work):
    with pytest.raises(MergeRefused, match="Only an admin"):
        merge(maria, maria_work, alice)
    assert Contact.objects.count() == 2


def test_a_contact_is_not_merged_with_itself(admin, maria):
    with pytest.raises(MergeRefused, match="itself"):
        merge(maria, maria, admin)


def test_a_contact_merged_meanwhile_is_refused(admin, maria, maria_work):
    stale = Contact.objects.get(pk=maria_work.pk)
    merge(maria, maria_work, admin)

    with pytest.raises(MergeRefused, match="no longer exists"):
        merge(maria, stale, admin)


def test_secondary_numbers_move_along_when_a_merged_contact_is_merged_again(admin, maria):
    first = Contact.objects.create(phone_e164=MARIA_WORK)
    merge(first, Contact.objects.create(phone_e164="+12025550188"), admin)

    merge(maria, first, admin)

    assert set(maria.other_numbers) == {
        MARIA_WORK,
        "+12025550188",
    }


def test_contacts_and_conversations_are_found_by_a_secondary_number(admin, maria, maria_work):
    merge(maria, maria_work, admin)

    found = contacts_filtered(ContactFilters(q="202 555 0177"))
    assert list(found) == [maria]
    # Its last four digits alone, though they start with 0.
    assert list(contacts_filtered(ContactFilters(q="0177"))) == [maria]
    threads = Conversation.objects.filter(search_q("5550177"))
    assert threads.count() == 3  # every conversation of the contact with that number


def test_a_new_contact_for_a_secondary_number_is_refused(admin, maria):
    merge(maria, Contact.objects.create(phone_e164=MARIA_WORK), admin)

    with pytest.raises(ContactRefused, match="exists already"):
        contact_create(by=admin, phone_e164=MARIA_WORK, display_name="Someone")
