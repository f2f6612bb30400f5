"""One mail read from a mailbox into the inbox: a customer's message, or a bounce that
fails the message it returns."""

import logging
from datetime import datetime

from inbox.channels import InboundFile, InboundMessage, InvalidAddress, channel_rules
from inbox.models import Channel, Message, MessageDirection, MessageStatus
from inbox.services.inbound import message_receive
from inbox.services.status import message_status_apply

from .content import html_clean, html_text, new_part
from .models import Mailbox, MailHeaders, MailKind
from .parse import Bounce, ParsedMail, mail_parse, mail_sid

log = logging.getLogger(__name__)


def mail_ingest(*, mailbox: Mailbox, raw: bytes, uid: int, arrived_at: datetime | None) -> None:
    """Store the mail ``uid`` of ``mailbox`` once, whatever reads it again (another worker,
    a restart, a rebuilt folder): it is stored under its Message-ID.

    ``arrived_at`` is when the IMAP server received it: the message's time in the thread
    (the mail's own Date header, written by the sender's machine, only without it).
    """
    parsed = mail_parse(raw, fallback_id=f"{mailbox.uid_validity}.{uid}@mailbox-{mailbox.pk}")
    if parsed.bounce is not None:
        bounce_apply(parsed.bounce, mailbox=mailbox)
        return
    try:
        channel_rules(Channel.EMAIL).normalise_address(parsed.from_address)
    except InvalidAddress:
        log.warning("mail %s in %s has no sender address: left out", uid, mailbox)
        return
    if parsed.from_address == mailbox.sender.address:
        return  # our own mail, copied back into the folder
    message, _ = message_receive(
        inbound=_inbound(parsed, mailbox=mailbox), received_at=arrived_at or parsed.written_at
    )
    MailHeaders.objects.get_or_create(
        message=message,
        defaults={
            "mail_id": parsed.message_id,
            "in_reply_to": parsed.in_reply_to,
            "references": " ".join(f"<{r}>" for r in parsed.references),
            "from_header": parsed.from_header,
            "kind": parsed.kind,
            "text": parsed.text,
            "html": html_clean(parsed.html, remote_images=True),
        },
    )


def _inbound(parsed: ParsedMail, *, mailbox: Mailbox) -> InboundMessage:
    answered = [*parsed.references, parsed.in_reply_to] if parsed.in_reply_to else parsed.references
    return InboundMessage(
        channel=Channel.EMAIL,
        provider_sid=mail_sid(parsed.message_id),
        from_address=parsed.from_address,
        to_address=mailbox.sender.address,
        body=new_part(parsed.text or html_text(parsed.html)),
        profile_name=parsed.from_name,
        subject=parsed.subject,
        files=[InboundFile(f.name, f.content_type, f.content) for f in parsed.files],
        answers=tuple(mail_sid(m) for m in answered),
        automated=parsed.kind != MailKind.PERSON,
    )


def bounce_apply(bounce: Bounce, *, mailbox: Mailbox) -> bool:
    """Fail the mail of ours ``bounce`` returns, with its reason; False when it is none of
    ours (or failed already).

    Anyone can send a mail shaped as a bounce: it fails only a mail sent from the mailbox
    it came to, which is where the real one comes back."""
    message_id = (
        Message.objects.filter(
            channel=Channel.EMAIL,
            provider_sid=mail_sid(bounce.original_message_id),
            direction=MessageDirection.OUTBOUND,
            conversation__sender_id=mailbox.sender_id,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if message_id is None:
        log.info("bounce for %s, which is none of our mails", bounce.original_message_id)
        return False
    return message_status_apply(
        message_id=message_id,
        status=MessageStatus.FAILED,
        error_code="bounced",
        error_detail=bounce.reason,
    )
