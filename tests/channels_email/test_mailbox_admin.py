"""Adding a mailbox in the admin: its sender ID, its password encrypted, its connection test."""

import pytest
from django.urls import reverse

from channels_email.imap import mailbox_read
from channels_email.models import Mailbox
from channels_email.secrets import PasswordUnreadable, password_decrypt
from inbox.models import Channel, SenderId
from tests.support.mail_servers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def superuser(admin):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


def form(world, **changes) -> dict:
    return {
        "address": "Help@Shop.test",
        "label": "Shop help",
        "imap_host": "127.0.0.1",
        "imap_port": world.dovecot.port,
        "imap_security": "none",
        "folder": "INBOX",
        "smtp_host": "127.0.0.1",
        "smtp_port": world.smtp_port,
        "smtp_security": "none",
        "username": "help@shop.test",
        "password": PASSWORD,
        **changes,
    }


def test_an_admin_adds_a_mailbox_whose_password_is_stored_encrypted(client, superuser, world):
    client.force_login(superuser)
    response = client.post(reverse("admin:channels_email_mailbox_add"), form(world))
    assert response.status_code == 302

    mailbox = Mailbox.objects.select_related("sender").get()
    assert mailbox.sender.channel == Channel.EMAIL
    assert mailbox.sender.address == "help@shop.test"
    assert PASSWORD not in mailbox.password_encrypted
    assert password_decrypt(mailbox.password_encrypted) == PASSWORD
    page = client.get(reverse("admin:channels_email_mailbox_change", args=[mailbox.pk]))
    assert mailbox.password_encrypted not in page.content.decode()

    # Saved again without a password, it keeps the stored one.
    client.post(
        reverse("admin:channels_email_mailbox_change", args=[mailbox.pk]),
        form(world, password="", label="Help desk"),
    )
    mailbox.refresh_from_db()
    assert password_decrypt(mailbox.password_encrypted) == PASSWORD
    assert SenderId.objects.get().label == "Help desk"


def test_the_connection_test_says_what_works_and_what_does_not(client, superuser, world):
    client.force_login(superuser)
    client.post(reverse("admin:channels_email_mailbox_add"), form(world))
    mailbox = Mailbox.objects.get()
    check = reverse("admin:channels_email_mailbox_check", args=[mailbox.pk])

    page = client.post(check, follow=True).content.decode()
    assert "IMAP: logged in, folder INBOX opened." in page
    assert "The server offers IDLE: the mail watcher reads new mail as it arrives." in page
    assert "SMTP: logged in." in page

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=1)
    page = client.post(check, follow=True).content.decode()
    assert "IMAP failed" in page


def test_an_address_already_a_sender_id_is_refused(client, superuser, world, alice_line):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:channels_email_mailbox_add"), form(world, address=alice_line.address)
    )
    assert response.status_code == 200
    assert not Mailbox.objects.exists()


def test_a_password_encrypted_with_a_key_since_removed_says_so(settings):
    from channels_email.secrets import password_encrypt

    settings.MAILBOX_KEYS = "k" * 43 + "="
    token = password_encrypt("pw")
    settings.MAILBOX_KEYS = ""
    with pytest.raises(PasswordUnreadable, match="enter it again"):
        password_decrypt(token)


def test_the_connection_test_of_a_mailbox_since_deleted_is_not_found(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("admin:channels_email_mailbox_check", args=[999999]))
    assert response.status_code == 404


def test_an_agent_neither_sees_a_mailbox_nor_tests_its_connection(client, alice, mailbox):
    client.force_login(alice)
    change = client.get(reverse("admin:channels_email_mailbox_change", args=[mailbox.pk]))
    check = client.post(reverse("admin:channels_email_mailbox_check", args=[mailbox.pk]))
    assert change.status_code == check.status_code == 302
    assert "/admin/login/" in change["Location"] and "/admin/login/" in check["Location"]


def test_the_connection_test_needs_the_forms_csrf_token(superuser, mailbox):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    response = browser.post(reverse("admin:channels_email_mailbox_check", args=[mailbox.pk]))
    assert response.status_code == 403


def test_a_mailbox_keys_setting_that_holds_no_key_is_said_and_breaks_nothing(
    client, superuser, world, mailbox, settings
):
    settings.MAILBOX_KEYS = "not-a-fernet-key"
    client.force_login(superuser)

    page = client.post(reverse("admin:channels_email_mailbox_add"), form(world))
    assert page.status_code == 200
    assert "MAILBOX_KEYS holds a key that is not a Fernet key" in page.content.decode()

    page = client.post(
        reverse("admin:channels_email_mailbox_check", args=[mailbox.pk]), follow=True
    ).content.decode()
    assert "IMAP failed" in page and "SMTP failed" in page
    assert "not a Fernet key" in page

    assert mailbox_read(mailbox.pk) == 0
    mailbox.refresh_from_db()
    assert "not a Fernet key" in mailbox.last_error


def test_a_server_elsewhere_without_tls_is_refused_as_the_password_would_cross_readable(
    client, superuser, world
):
    client.force_login(superuser)
    page = client.post(
        reverse("admin:channels_email_mailbox_add"), form(world, smtp_host="smtp.example.com")
    )
    assert page.status_code == 200
    assert "Without TLS the password crosses the network readable" in page.content.decode()
    assert not Mailbox.objects.exists()

    client.post(reverse("admin:channels_email_mailbox_add"), form(world, imap_host="localhost"))
    assert Mailbox.objects.exists()  # this machine's own server may go without


def test_a_key_rotation_reaches_a_mailbox_saved_without_typing_its_password_again(
    client, superuser, world, settings
):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MAILBOX_KEYS = old
    client.force_login(superuser)
    client.post(reverse("admin:channels_email_mailbox_add"), form(world))
    mailbox = Mailbox.objects.get()

    settings.MAILBOX_KEYS = f"{new},{old}"  # the new key first
    client.post(
        reverse("admin:channels_email_mailbox_change", args=[mailbox.pk]),
        form(world, password=""),
    )
    settings.MAILBOX_KEYS = new  # then the old one goes
    mailbox.refresh_from_db()
    assert password_decrypt(mailbox.password_encrypted) == PASSWORD


def test_the_mailbox_list_says_whether_new_mail_comes_over_idle_or_the_poll(
    client, superuser, mailbox
):
    from channels_email.watch import lease_claim

    client.force_login(superuser)
    changelist = reverse("admin:channels_email_mailbox_changelist")
    assert "Polled every 5 s" in client.get(changelist).content.decode()
    assert lease_claim(mailbox.pk, "mail-1.example:4242:abc")
    page = client.get(changelist).content.decode()
    assert "IMAP IDLE (mail watcher mail-1.example:4242:abc)" in page
