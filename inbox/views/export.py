"""Transcript exports (F-CV11, admins and the owner only) and media downloads.

Media open for anyone who may read the thread: a teammate helping in a conversation needs
to see the photo the customer sent.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..access import can_export, conversation_for
from ..models import Attachment, TranscriptExport
from ..services.transcripts import (
    transcript_export_request,
    transcript_is_long,
    transcript_pdf,
    transcript_txt,
)


def _exportable(request: HttpRequest, public_id: str):
    conversation = conversation_for(request.user, public_id)
    if not can_export(request.user, conversation):
        raise Http404("No such conversation")
    return conversation


def _filename(conversation, ext: str) -> str:
    return f"conversation-{conversation.public_id}.{ext}"


@require_GET
@login_required
def transcript_download(request: HttpRequest, public_id: str, fmt: str) -> HttpResponse:
    """TXT, and the PDF of a short conversation, at once; a long one's PDF is offered to
    be built by a worker (see ``transcript_export_start``)."""
    conversation = _exportable(request, public_id)
    if fmt == "pdf" and transcript_is_long(conversation=conversation):
        return render(request, "inbox/transcript_export.html", {"conversation": conversation})
    if fmt == "pdf":
        body, content_type = (
            transcript_pdf(conversation=conversation, by=request.user),
            "application/pdf",
        )
    else:
        body, content_type = (
            transcript_txt(conversation=conversation, by=request.user),
            "text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(conversation, fmt)}"'
    return response


@require_GET
@login_required
def attachment_download(request: HttpRequest, public_id: str, attachment_id: str) -> FileResponse:
    conversation = conversation_for(request.user, public_id)
    attachment = get_object_or_404(
        Attachment, public_id=attachment_id, message__conversation=conversation
    )
    if not attachment.file:
        raise Http404("This file has not been fetched from the provider yet")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name or attachment.file.name.rsplit("/", 1)[-1],
        content_type=attachment.content_type,
    )


@require_POST
@login_required
def transcript_export_start(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = _exportable(request, public_id)
    export = transcript_export_request(conversation=conversation, by=request.user)
    return redirect("inbox:transcript_export_status", public_id, export.public_id)


def _export_of(request: HttpRequest, public_id: str, export_id: str) -> TranscriptExport:
    """The caller's own export of a conversation they may still export; else 404."""
    conversation = _exportable(request, public_id)
    return get_object_or_404(
        TranscriptExport.objects.select_related("conversation"),
        public_id=export_id,
        conversation=conversation,
        requested_by=request.user,
    )


@require_GET
@login_required
def transcript_export_status(request: HttpRequest, public_id: str, export_id: str) -> HttpResponse:
    """How far the build is, redrawn every few seconds by HTMX; the download once ready."""
    export = _export_of(request, public_id, export_id)
    context = {"conversation": export.conversation, "export": export}
    template = "inbox/partials/transcript_progress.html" if request.htmx else None
    return render(request, template or "inbox/transcript_export.html", context)


@require_GET
@login_required
def transcript_export_file(request: HttpRequest, public_id: str, export_id: str) -> FileResponse:
    export = _export_of(request, public_id, export_id)
    if export.state != TranscriptExport.State.READY:
        raise Http404("This transcript is not ready")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=_filename(export.conversation, "pdf"),
        content_type="application/pdf",
    )
