"""What an attached file really is, read from its first bytes, never from what the browser
or the file name claims: only the types Twilio delivers (MMS and WhatsApp) are accepted.

An SVG or HTML file named ``photo.jpg`` is none of these, so it is refused.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

# Prefix (at offset 0) -> type.
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"#!AMR", "audio/amr"),
)
# ISO base media (``....ftyp<brand>``): brand -> type.
_FTYP_BRANDS = {
    b"M4A ": "audio/mp4",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
    b"3gp6": "video/3gpp",
    b"3ge6": "video/3gpp",
}
HEAD_BYTES = 16
ACCEPTED = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "application/pdf",
    "audio/mpeg",
    "audio/ogg",
    "audio/amr",
    "audio/mp4",
    "audio/wav",
    "video/mp4",
    "video/3gpp",
)


def media_type_sniff(head: bytes) -> str | None:
    """The accepted type whose signature ``head`` (a file's first ``HEAD_BYTES``) starts
    with, or None when it is none of them."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MPEG audio frame without an ID3 tag
    return None


class UploadRefused(ValueError):
    """Uploaded files that cannot be sent; the message says why, for the person sending."""


def uploads_check(files: list[UploadedFile]) -> None:
    """The checks every upload gets, the compose box's and a web-chat visitor's: at most
    ``MESSAGE_MAX_MEDIA`` files of ``OUTBOUND_MEDIA_MAX_BYTES`` in all, each of a type read
    from its first bytes, which becomes its ``content_type`` (whatever the browser said)."""
    if len(files) > settings.MESSAGE_MAX_MEDIA:
        raise UploadRefused(f"Attach at most {settings.MESSAGE_MAX_MEDIA} files to one message.")
    if sum(f.size for f in files) > settings.OUTBOUND_MEDIA_MAX_BYTES:
        limit = settings.OUTBOUND_MEDIA_MAX_BYTES // (1024 * 1024)
        raise UploadRefused(f"Attachments may total {limit} MB at most.")
    for f in files:
        f.seek(0)
        sniffed = media_type_sniff(f.read(HEAD_BYTES))
        f.seek(0)
        if sniffed is None:
            raise UploadRefused(
                f"{f.name} cannot be sent: attach JPEG, PNG or GIF images, PDF, audio or video."
            )
        f.content_type = sniffed
