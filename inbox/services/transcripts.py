"""Conversation transcripts as TXT and PDF (F-CV11); every export is recorded (F-OP3)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.staticfiles import finders
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


def _lines(conversation: Conversation) -> Iterator[TranscriptLine]:
    customer = conversation.contact.shown_name
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor")
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


def _record_export(*, conversation: Conversation, by: User, fmt: str) -> None:
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.EXPORTED,
        actor=by,
        body=f"Transcript exported as {fmt.upper()}",
        data={"format": fmt},
    )


def _header(conversation: Conversation) -> dict:
    contact = conversation.contact
    return {
        "customer": contact.display_name or "Unknown customer",
        "phone": format_phone(contact.phone_e164 or ""),
        "sender": str(conversation.sender_id),
        "generated_at": timezone.localtime(),
    }


# Starts every line of a message after its first in the TXT transcript.
CONTINUATION = "    | "


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def transcript_txt(*, conversation: Conversation, by: User) -> str:
    header = _header(conversation)
    out = [
        f"Conversation with {header['customer']} ({header['phone']})",
        f"Via {header['sender']}",
        f"Exported {header['generated_at']:%Y-%m-%d %H:%M %Z} by {by}",
        "",
    ]
    for line in _lines(conversation):
        stamp = timezone.localtime(line.at).strftime("%Y-%m-%d %H:%M")
        status = f" [{line.status}]" if line.status else ""
        first, *rest = line.text.splitlines() or [""]
        out.append(f"[{stamp}] {_one_line(line.who)}{status}: {first}".rstrip())
        # A message's further lines are marked as its own, so text a customer wrote can
        # never pass for another entry of the transcript.
        out.extend(f"{CONTINUATION}{text}".rstrip() for text in rest)
        out.extend(f"    [media: {_one_line(name)}]" for name in line.attachments)
    _record_export(conversation=conversation, by=by, fmt="txt")
    return "\n".join(out) + "\n"


def transcript_html(*, conversation: Conversation, by: User) -> str:
    """The printable transcript the PDF is made from (autoescaped like every page)."""
    return render_to_string(
        "inbox/transcript.html",
        {**_header(conversation), "lines": list(_lines(conversation)), "by": by},
    )


def transcript_pdf(*, conversation: Conversation, by: User) -> bytes:
    from weasyprint import CSS, HTML  # heavy import: only when a PDF is asked for

    stylesheet = CSS(filename=finders.find("css/transcript.css"))
    pdf = HTML(string=transcript_html(conversation=conversation, by=by)).write_pdf(
        stylesheets=[stylesheet]
    )
    _record_export(conversation=conversation, by=by, fmt="pdf")
    return pdf
