"""A mailbox (the IMAP and SMTP servers of an e-mail sender ID) and each mail's headers."""

from django.db import models

from inbox.models import Message, SenderId


class Security(models.TextChoices):
    TLS = "tls", "TLS (IMAPS 993, SMTPS 465)"
    STARTTLS = "starttls", "STARTTLS (IMAP 143, submission 587)"
    NONE = "none", "None (a server on this machine only)"


class Mailbox(models.Model):
    """The servers of an e-mail sender ID: mail is read over IMAP and sent over SMTP with one
    login (an app password where the provider offers them). The password is stored
    encrypted (``channels_email.secrets``)."""

    sender = models.OneToOneField(SenderId, on_delete=models.CASCADE, related_name="mailbox")
    imap_host = models.CharField(max_length=255)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=8, choices=Security.choices, default=Security.TLS)
    folder = models.CharField(max_length=255, default="INBOX")
    smtp_host = models.CharField(max_length=255)
    smtp_port = models.PositiveIntegerField(default=465)
    smtp_security = models.CharField(max_length=8, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField(editable=False)
    # Where reading stopped: the folder's UIDVALIDITY and the highest UID stored. A new
    # UIDVALIDITY (the folder was rebuilt) reads the folder again; Message-IDs keep it once.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    # One worker reads a mailbox at a time: it holds it until then.
    reading_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_read_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The mail watcher holding the mailbox's IMAP IDLE connection (``channels_email.watch``),
    # until it renews its lease: one connection per mailbox, lost by a watcher that died.
    # While it is held, beat does not poll the mailbox; once it lapses, beat does again.
    watched_by = models.CharField(max_length=100, blank=True, editable=False)
    watched_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.sender.address


class MailKind(models.TextChoices):
    PERSON = "", "Written by a person"
    AUTO_REPLY = "auto_reply", "Automatic reply"
    LIST = "list", "Mailing list or bulk mail"


class MailHeaders(models.Model):
    """What the thread does not show of a mail: its threading headers, its whole text and
    sanitised HTML (shown on request), and for one we send, when SMTP was handed it."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="mail")
    # The Message-ID header, without its angle brackets.
    mail_id = models.CharField(max_length=998)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    from_header = models.CharField(max_length=998, blank=True)
    kind = models.CharField(max_length=16, choices=MailKind.choices, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitised when stored (``content.html_clean``)
    # Set before the last byte of an outgoing mail goes to SMTP: a retry after that would
    # send it twice, so it never goes again (``adapter``).
    handed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.mail_id
