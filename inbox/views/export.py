"""Transcript exports (F-CV11, admins and the owner only) and media downloads.

Media open for anyone who may read the thread: a teammate helping in a conversation needs
to see the photo the customer sent.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from ..access import can_export, conversation_for
from ..models import Attachment
from ..services.transcripts import transcript_pdf, transcript_txt


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
    """``?notes=0`` leaves the private notes out (a transcript to give the customer)."""
    conversation = _exportable(request, public_id)
    notes = request.GET.get("notes") != "0"
    if fmt == "pdf":
        body, content_type = (
            transcript_pdf(conversation=conversation, by=request.user, notes=notes),
            "application/pdf",
        )
    else:
        body, content_type = (
            transcript_txt(conversation=conversation, by=request.user, notes=notes),
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
