"""Migrations 0026 to 0028 on data shaped like the demo's: every number, second number (from a
merge), WhatsApp id, e-mail, conversation address and consent record comes through, and
each conversation is with an identity of its own contact at its own address."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("inbox", "0025_help_reply_opt_in")]
AFTER = [("inbox", "0028_conversation_address_unique")]

MARIA, MARIA_WORK, MARIA_OLD = "+12025550123", "+12025550177", "+12025550188"
JAMES, PRIYA, SHORT_CODE = "+12025550140", "+447700900123", "72345"


def latest() -> list[tuple[str, str]]:
    """Every app's newest migration: where the other tests expect the database."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old(transactional_db):
    """The demo's shape at 0025: contacts with numbers, one with two second numbers kept
    from merges, WhatsApp ids and e-mails (one shared by two contacts), threads on SMS and
    WhatsApp lines (one with a second number, one with a short code), consent history."""
    apps = migrate(BEFORE)
    User = apps.get_model("inbox", "User")
    SenderId = apps.get_model("inbox", "SenderId")
    Contact = apps.get_model("inbox", "Contact")
    ContactNumber = apps.get_model("inbox", "ContactNumber")
    Conversation = apps.get_model("inbox", "Conversation")
    ConsentRecord = apps.get_model("inbox", "ConsentRecord")
    alice = User.objects.create(username="alice")
    sms = SenderId.objects.create(address="+14155550100", channel="sms", owner=alice)
    wa = SenderId.objects.create(address="whatsapp:+14155550101", channel="whatsapp")
    now = timezone.now()
    maria = Contact.objects.create(
        public_id="maria", display_name="Maria", phone_e164=MARIA, whatsapp_id=MARIA,
        email="Maria@Example.com", whatsapp_consent_at=now,
    )  # fmt: skip
    ContactNumber.objects.create(contact=maria, phone_e164=MARIA_WORK)
    ContactNumber.objects.create(contact=maria, phone_e164=MARIA_OLD)
    james = Contact.objects.create(
        public_id="james", display_name="James", phone_e164=JAMES, email="maria@example.com"
    )
    priya = Contact.objects.create(public_id="priya", phone_e164=PRIYA, sms_opted_out_at=now)
    shop = Contact.objects.create(public_id="shop", phone_e164=None)
    threads = {
        "maria-sms": (maria, sms, MARIA),
        "maria-work": (maria, sms, MARIA_WORK),
        "maria-wa": (maria, wa, MARIA),
        "james-wa": (james, wa, JAMES),
        "priya-sms": (priya, sms, PRIYA),
        "shop-sms": (shop, sms, SHORT_CODE),
    }
    for public_id, (contact, sender, phone) in threads.items():
        Conversation.objects.create(
            public_id=public_id, contact=contact, sender_id=sender, customer_phone=phone
        )
    ConsentRecord.objects.create(contact=maria, channel="whatsapp", kind="opt_in", source="verbal")
    ConsentRecord.objects.create(contact=priya, channel="sms", kind="opt_out", source="keyword")
    yield
    migrate(latest())  # leave the database as the other tests expect it


def identities(apps, public_id):
    ContactIdentity = apps.get_model("inbox", "ContactIdentity")
    return sorted(
        ContactIdentity.objects.filter(contact__public_id=public_id).values_list("kind", "address")
    )


def test_every_address_becomes_an_identity_of_its_contact(old):
    apps = migrate(AFTER)
    assert identities(apps, "maria") == [
        ("email", "maria@example.com"),
        ("phone", MARIA),
        ("phone", MARIA_WORK),
        ("phone", MARIA_OLD),
        ("whatsapp", MARIA),
    ]
    # The e-mail both had stays the first contact's identity; James's row keeps its own.
    assert identities(apps, "james") == [("phone", JAMES), ("whatsapp", JAMES)]
    assert apps.get_model("inbox", "Contact").objects.get(public_id="james").email == (
        "maria@example.com"
    )
    assert identities(apps, "priya") == [("phone", PRIYA)]
    assert identities(apps, "shop") == [("phone", SHORT_CODE)]


def test_each_conversation_keeps_its_address_and_is_with_its_contacts_identity(old):
    apps = migrate(AFTER)
    Conversation = apps.get_model("inbox", "Conversation")
    rows = {
        c.public_id: (
            c.customer_address,
            c.identity.kind,
            c.identity.address,
            c.identity.contact_id,
        )
        for c in Conversation.objects.select_related("identity")
    }
    contact_ids = dict(apps.get_model("inbox", "Contact").objects.values_list("public_id", "pk"))
    maria, james = contact_ids["maria"], contact_ids["james"]
    assert rows == {
        "maria-sms": (MARIA, "phone", MARIA, maria),
        "maria-work": (MARIA_WORK, "phone", MARIA_WORK, maria),
        "maria-wa": (MARIA, "whatsapp", MARIA, maria),
        "james-wa": (JAMES, "whatsapp", JAMES, james),
        "priya-sms": (PRIYA, "phone", PRIYA, contact_ids["priya"]),
        "shop-sms": (SHORT_CODE, "phone", SHORT_CODE, contact_ids["shop"]),
    }


def test_contacts_and_their_consent_are_untouched(old):
    apps = migrate(AFTER)
    Contact = apps.get_model("inbox", "Contact")
    ConsentRecord = apps.get_model("inbox", "ConsentRecord")
    assert Contact.objects.count() == 4
    maria = Contact.objects.get(public_id="maria")
    assert (maria.phone_e164, maria.whatsapp_id, maria.email) == (
        MARIA,
        MARIA,
        "Maria@Example.com",
    )
    assert maria.whatsapp_consent_at is not None
    assert Contact.objects.get(public_id="priya").sms_opted_out_at is not None
    assert sorted(ConsentRecord.objects.values_list("contact__public_id", "kind")) == [
        ("maria", "opt_in"),
        ("priya", "opt_out"),
    ]


def test_going_back_gives_the_second_numbers_back(old):
    """Every number of a contact besides its phone, a thread's short code included."""
    migrate(AFTER)
    apps = migrate(BEFORE)
    ContactNumber = apps.get_model("inbox", "ContactNumber")
    assert sorted(ContactNumber.objects.values_list("contact__public_id", "phone_e164")) == [
        ("maria", MARIA_WORK),
        ("maria", MARIA_OLD),
        ("shop", SHORT_CODE),
    ]
    Conversation = apps.get_model("inbox", "Conversation")
    assert Conversation.objects.get(public_id="maria-work").customer_phone == MARIA_WORK
