"""What an attached file really is, read from its first bytes, never from what the browser
or the file name claims: only the types Twilio delivers (MMS and WhatsApp) are accepted.

An SVG or HTML file named ``photo.jpg`` is none of these, so it is refused.
"""

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
