"""Conversation transcripts as TXT and PDF (F-CV11); every export is recorded (F-OP3)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from ..models import Conversation, ConversationEvent, Message, User
from ..phone import format_phone


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    who: str
    text: str
    attachments: list[str]
    status: str = ""
    is_note: bool = False


def _lines(conversation: Conversation, *, notes: bool) -> Iterator[TranscriptLine]:
    """The thread, oldest first; private notes only with ``notes`` (a transcript for the
    customer leaves them out)."""
    customer = conversation.contact.shown_name
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor")
    if not notes:
        events = events.exclude(kind=ConversationEvent.Kind.NOTE)
    items = sorted([*messages, *events], key=lambda item: item.created_at)
    for item in items:
        if isinstance(item, Message):
            who = customer if not item.is_outbound else str(item.author or "Converse")
            yield TranscriptLine(
                at=item.created_at,
                who=who,
                text=item.body,
                attachments=[
                    a.original_name or a.file.name.rsplit("/", 1)[-1] or a.content_type
                    for a in item.attachments.all()
                ],
                status=item.get_status_display() if item.is_outbound else "",
            )
        else:
            is_note = item.kind == ConversationEvent.Kind.NOTE
            label = "Private note" if is_note else item.get_kind_display()
            text = f"{label}: {item.body}" if item.body else label
            yield TranscriptLine(
                at=item.created_at,
                who=str(item.actor or "Converse"),
                text=text,
                attachments=[],
                is_note=is_note,
            )


def _record_export(*, conversation: Conversation, by: User, fmt: str, notes: bool) -> None:
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.EXPORTED,
        actor=by,
        body=f"Transcript exported as {fmt.upper()}" + ("" if notes else " without private notes"),
        data={"format": fmt} | ({} if notes else {"notes": False}),
    )


def _header(conversation: Conversation) -> dict:
    contact = conversation.contact
    return {
        "customer": contact.display_name or "Unknown customer",
        "phone": format_phone(contact.phone_e164 or ""),
        "sender": str(conversation.sender_id),
        "generated_at": timezone.localtime(),
    }


def transcript_txt(*, conversation: Conversation, by: User, notes: bool = True) -> str:
    header = _header(conversation)
    out = [
        f"Conversation with {header['customer']} ({header['phone']})",
        f"Via {header['sender']}",
        f"Exported {header['generated_at']:%Y-%m-%d %H:%M %Z} by {by}",
        "",
    ]
    for line in _lines(conversation, notes=notes):
        stamp = timezone.localtime(line.at).strftime("%Y-%m-%d %H:%M")
        status = f" [{line.status}]" if line.status else ""
        out.append(f"[{stamp}] {line.who}{status}: {line.text}".rstrip())
        out.extend(f"    [media: {name}]" for name in line.attachments)
    _record_export(conversation=conversation, by=by, fmt="txt", notes=notes)
    return "\n".join(out) + "\n"


def transcript_html(*, conversation: Conversation, by: User, notes: bool = True) -> str:
    """The printable transcript the PDF is made from (autoescaped like every page)."""
    return render_to_string(
        "inbox/transcript.html",
        {**_header(conversation), "lines": list(_lines(conversation, notes=notes)), "by": by},
    )


def transcript_pdf(*, conversation: Conversation, by: User, notes: bool = True) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    html = transcript_html(conversation=conversation, by=by, notes=notes)
    pdf = HTML(string=html).write_pdf()
    _record_export(conversation=conversation, by=by, fmt="pdf", notes=notes)
    return pdf
