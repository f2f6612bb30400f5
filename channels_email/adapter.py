"""E-mail's adapter: an agent's message out as a mail over the mailbox's SMTP server."""

from django.utils import timezone

from inbox.channels import SendError, SendResult
from inbox.models import Message

from .compose import mail_compose, reply_subject
from .models import Mailbox, MailHeaders
from .parse import mail_sid
from .smtp import smtp_hand


class SmtpAdapter:
    def send(self, message: Message) -> SendResult:
        """Send ``message`` as a mail, at most once.

        Its Message-ID is fixed by its first attempt. A retry after the mail's last byte
        went to the server (``MailHeaders.handed_at``), whose answer was lost, does not send
        it again: the server may well have taken it.
        """
        sender = message.conversation.sender_id
        mailbox = Mailbox.objects.select_related("sender").filter(sender=sender).first()
        if mailbox is None:
            raise SendError(
                "smtp_refused", f"{sender.address} has no mail server set up.", transient=False
            )
        domain = sender.address.rpartition("@")[2] or "converse.invalid"
        headers, _ = MailHeaders.objects.get_or_create(
            message=message, defaults={"mail_id": f"{message.public_id}@{domain}"}
        )
        sid = mail_sid(headers.mail_id)
        if headers.handed_at is not None:
            raise SendError(
                "smtp_unconfirmed",
                "The mail server did not confirm it took the mail: it may have been "
                "delivered. Check with the customer before sending it again.",
                transient=False,
            )
        subject = message.subject or reply_subject(message, mailbox)
        mail = mail_compose(message, mailbox, headers, subject=subject)
        headers.save(update_fields=["in_reply_to", "references"])
        Message.objects.filter(pk=message.pk).update(subject=subject[:300])

        def handed() -> None:
            MailHeaders.objects.filter(pk=headers.pk).update(handed_at=timezone.now())

        try:
            smtp_hand(mailbox, mail, before_last_byte=handed)
        except SendError as error:
            if error.code != "smtp_unconfirmed":
                # The server answered: it did not take the mail, a retry is safe.
                MailHeaders.objects.filter(pk=headers.pk).update(handed_at=None)
            raise
        return SendResult(provider_sid=sid, status="sent")

    def parse_inbound(self, params):
        raise NotImplementedError("Mail is read over IMAP (channels_email.imap).")

    def parse_status(self, params):
        raise NotImplementedError("Bounces come as mail (channels_email.ingest).")

    def list_templates(self) -> list:
        return []
