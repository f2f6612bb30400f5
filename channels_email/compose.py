"""An outgoing message as the mail that carries it: who it is from, its subject and threading
headers, text and HTML alternatives, attachments."""

from email.message import EmailMessage
from email.utils import formataddr, formatdate

from django.utils.html import escape, linebreaks

from inbox.models import Message, MessageDirection

from .models import Mailbox, MailHeaders

# How many earlier Message-IDs a reply's References carries (RFC 5322 allows trimming).
REFERENCES_KEPT = 20


def reply_subject(message: Message, mailbox: Mailbox) -> str:
    """The subject of the thread's latest mail, as a reply ("Re: …"); a first mail's is the
    mailbox's name."""
    latest = (
        Message.objects.filter(conversation_id=message.conversation_id)
        .exclude(subject="")
        .exclude(pk=message.pk)
        .order_by("-created_at", "-pk")
        .values_list("subject", flat=True)
        .first()
    )
    if not latest:
        return f"Message from {mailbox.sender.label or mailbox.sender.address}"
    return latest if latest.lower().startswith("re:") else f"Re: {latest}"


def _answered(message: Message) -> MailHeaders | None:
    """The headers of the customer's latest mail before ``message``: the one it answers."""
    return (
        MailHeaders.objects.filter(
            message__conversation_id=message.conversation_id,
            message__direction=MessageDirection.INBOUND,
            message__created_at__lte=message.created_at,
        )
        .order_by("-message__created_at", "-message__pk")
        .first()
    )


def sender_name(message: Message, mailbox: Mailbox) -> str:
    """The agent who wrote it, or the mailbox's name for an automatic reply."""
    if message.author is not None:
        name = message.author.get_full_name() or message.author.get_username()
    else:
        name = mailbox.sender.label
    return one_line(name)


def one_line(value: str) -> str:
    """``value`` with its line breaks and runs of blanks made one space: a name or subject
    typed with a line break in it must not end the header and start another."""
    return " ".join(value.split())


def mail_compose(
    message: Message, mailbox: Mailbox, headers: MailHeaders, *, subject: str
) -> EmailMessage:
    """The mail ``message`` goes out as; ``headers`` gets the threading headers it carries."""
    answered = _answered(message)
    references = []
    if answered is not None:
        references = [*answered.references.split(), f"<{answered.mail_id}>"]
        headers.in_reply_to = f"<{answered.mail_id}>"
        headers.references = " ".join(references[-REFERENCES_KEPT:])
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name(message, mailbox), mailbox.sender.address))
    mail["To"] = message.conversation.customer_address
    mail["Subject"] = one_line(subject)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{headers.mail_id}>"
    if headers.in_reply_to:
        mail["In-Reply-To"] = headers.in_reply_to
        mail["References"] = headers.references
    if message.auto_kind:
        # RFC 3834: an automatic reply, which no auto-responder at the other end answers.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(message.body or "")
    mail.add_alternative(
        f"<!doctype html><html><body>{linebreaks(escape(message.body or ''))}</body></html>",
        subtype="html",
    )
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as f:
            content = f.read()
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.original_name or "attachment",
        )
    return mail
