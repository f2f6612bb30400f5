"""The demo mailbox (``seed_demo`` runs this): ``support@acme.test``, shared by alice and bob,
on the demo mail servers that ``make run`` serves on 127.0.0.1 (``converse/demo_mail.py``).
Running it again changes nothing but the ports, which follow ``DEMO_IMAP_PORT`` and
``DEMO_SMTP_PORT``."""

from django.core.management.base import BaseCommand

from converse import demo_mail
from inbox.models import Channel, SenderId, Team, User

from ...models import Mailbox, Security
from ...secrets import PasswordUnreadable, password_decrypt, password_encrypt


class Command(BaseCommand):
    help = "Load the demo mailbox of the e-mail channel (served by make run)."

    def handle(self, *args, **options):
        sender, created = SenderId.objects.get_or_create(
            address=demo_mail.SUPPORT_ADDRESS,
            defaults={
                "channel": Channel.EMAIL,
                "label": "Support mail",
                "team": Team.objects.filter(name="Support").first(),
            },
        )
        if created:
            sender.shared_with.add(*User.objects.filter(username__in=["alice", "bob"]))
        mailbox, _ = Mailbox.objects.update_or_create(
            sender=sender,
            defaults={
                "imap_host": demo_mail.HOST,
                "imap_port": demo_mail.imap_port(),
                "imap_security": Security.NONE,
                "smtp_host": demo_mail.HOST,
                "smtp_port": demo_mail.smtp_port(),
                "smtp_security": Security.NONE,
                "username": demo_mail.SUPPORT_ADDRESS,
            },
        )
        if not _readable(mailbox.password_encrypted):
            # New, or encrypted with a key since changed: the demo knows its password.
            mailbox.password_encrypted = password_encrypt(demo_mail.PASSWORD)
            mailbox.save(update_fields=["password_encrypted"])
        self.stdout.write(
            f"Demo mailbox ready: {demo_mail.SUPPORT_ADDRESS} on IMAP {demo_mail.HOST}:"
            f"{demo_mail.imap_port()} and SMTP {demo_mail.HOST}:{demo_mail.smtp_port()}"
        )


def _readable(token: str) -> bool:
    try:
        return bool(token) and password_decrypt(token) == demo_mail.PASSWORD
    except PasswordUnreadable:
        return False
