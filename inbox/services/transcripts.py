"""Conversation transcripts as TXT and PDF (F-CV11); every export is recorded (F-OP3)."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..enqueue import enqueue
from ..models import Conversation, ConversationEvent, Message, TranscriptExport, User
from ..pure.phone import format_phone

log = logging.getLogger(__name__)


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
        "phone": format_phone(conversation.customer_address),
        "sender": str(conversation.sender_id),
        "generated_at": timezone.localtime(),
    }


# Starts every line of a message after its first in the TXT transcript.
CONTINUATION = "    | "


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


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
        first, *rest = line.text.splitlines() or [""]
        out.append(f"[{stamp}] {_one_line(line.who)}{status}: {first}".rstrip())
        # A message's further lines are marked as its own, so text a customer wrote can
        # never pass for another entry of the transcript.
        out.extend(f"{CONTINUATION}{text}".rstrip() for text in rest)
        out.extend(f"    [media: {_one_line(name)}]" for name in line.attachments)
    _record_export(conversation=conversation, by=by, fmt="txt", notes=notes)
    return "\n".join(out) + "\n"


def transcript_html(*, conversation: Conversation, by: User, notes: bool = True) -> str:
    """The printable transcript the PDF is made from (autoescaped like every page)."""
    return render_to_string(
        "inbox/transcript.html",
        {**_header(conversation), "lines": list(_lines(conversation, notes=notes)), "by": by},
    )


def _pdf(
    *,
    conversation: Conversation,
    by: User,
    notes: bool,
    progress: Callable[[int], None] = lambda _: None,
) -> bytes:
    from weasyprint import CSS, HTML  # heavy import: only when a PDF is asked for

    stylesheet = CSS(filename=finders.find("css/transcript.css"))
    html = HTML(string=transcript_html(conversation=conversation, by=by, notes=notes))
    progress(30)
    document = html.render(stylesheets=[stylesheet])  # the layout: most of the time
    progress(85)
    return document.write_pdf()


def transcript_pdf(*, conversation: Conversation, by: User, notes: bool = True) -> bytes:
    """A short conversation's PDF, built at once (see ``transcript_is_long``)."""
    pdf = _pdf(conversation=conversation, by=by, notes=notes)
    _record_export(conversation=conversation, by=by, fmt="pdf", notes=notes)
    return pdf


def transcript_is_long(*, conversation: Conversation) -> bool:
    """Whether its PDF is built by a worker: more than ``TRANSCRIPT_SYNC_MAX_ENTRIES``
    messages and events (a PDF of 150 long messages takes seconds to lay out)."""
    limit = settings.TRANSCRIPT_SYNC_MAX_ENTRIES
    messages = Message.objects.filter(conversation=conversation)[: limit + 1].count()
    if messages > limit:
        return True
    events = ConversationEvent.objects.filter(conversation=conversation)[: limit + 1].count()
    return messages + events > limit


def transcript_export_request(
    *, conversation: Conversation, by: User, notes: bool = True
) -> TranscriptExport:
    """Queue a worker to build ``conversation``'s PDF transcript for ``by`` (with the
    private notes unless ``notes`` is False)."""
    from ..tasks import build_transcript_pdf  # the task calls this module

    with transaction.atomic():
        export = TranscriptExport.objects.create(
            conversation=conversation, requested_by=by, notes=notes
        )
        transaction.on_commit(lambda: enqueue(build_transcript_pdf, export.pk))
    return export


def transcript_exports_requeue(*, now: datetime) -> int:
    """Queue again each export still queued ``TRANSCRIPT_REQUEUE_AFTER_SECONDS`` after it
    was asked for: its task never reached a worker (the broker was down when it was asked
    for, or lost it). The build's claim makes a second delivery of a live task harmless."""
    from ..tasks import build_transcript_pdf  # the task calls this module

    cutoff = now - timedelta(seconds=settings.TRANSCRIPT_REQUEUE_AFTER_SECONDS)
    waiting = list(
        TranscriptExport.objects.filter(
            state=TranscriptExport.State.QUEUED, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:100]
    )
    return sum(enqueue(build_transcript_pdf, pk, later="the next sweep will") for pk in waiting)


def transcript_export_build(*, export_id: int) -> None:
    """Build a queued export's PDF, reporting progress; record the export when it is ready.

    Claimed with a conditional update (queued → building), so a redelivered task builds
    nothing twice. A failure marks the export failed (the agent sees it) and is logged.
    """
    claimed = TranscriptExport.objects.filter(
        pk=export_id, state=TranscriptExport.State.QUEUED
    ).update(state=TranscriptExport.State.BUILDING, progress=10)
    if not claimed:
        return
    export = TranscriptExport.objects.select_related("conversation__contact", "requested_by").get(
        pk=export_id
    )

    def progress(percent: int) -> None:
        TranscriptExport.objects.filter(pk=export_id).update(progress=percent)

    try:
        pdf = _pdf(
            conversation=export.conversation,
            by=export.requested_by,
            notes=export.notes,
            progress=progress,
        )
        export.file.save(f"conversation-{export.conversation.public_id}.pdf", ContentFile(pdf))
    except Exception:
        log.exception("transcript export %s failed", export.public_id)
        TranscriptExport.objects.filter(pk=export_id).update(
            state=TranscriptExport.State.FAILED, finished_at=timezone.now()
        )
        return
    with transaction.atomic():
        TranscriptExport.objects.filter(pk=export_id).update(
            state=TranscriptExport.State.READY, progress=100, finished_at=timezone.now()
        )
        _record_export(
            conversation=export.conversation, by=export.requested_by, fmt="pdf", notes=export.notes
        )
