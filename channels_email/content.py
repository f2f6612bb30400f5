"""What of a mail the agent reads: its new part in the thread, its whole text and its HTML,
sanitised, on request."""

import html as html_lib
import re

import nh3
from mailparser_reply import EmailReplyParser

# Languages whose reply headers ("On … wrote:", "Am … schrieb:") are told from the new part.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl"]
BLANK_LINES = re.compile(r"\n{3,}")
BLOCKS = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote)>|<br\s*/?>", re.I)
# Only these URL schemes survive in links; images may only be inline or, when the agent
# asks, remote over https.
LINK_SCHEMES = {"http", "https", "mailto"}


def new_part(text: str) -> str:
    """The part of a mail its writer just wrote: without the quoted history under it and
    without the signature (the whole text stays in ``MailHeaders.text``)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
    except Exception:  # the parser's regular expressions on a mail they do not expect
        return text
    latest = (replies[0].body if replies else "").strip()
    return latest or text


def html_text(html: str) -> str:
    """The text of an HTML mail that came without a plain-text part."""
    with_breaks = BLOCKS.sub("\n", html or "")
    text = html_lib.unescape(nh3.clean(with_breaks, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_clean(html: str, *, remote_images: bool = False) -> str:
    """``html`` with no script, style, form, event handler or tracking pixel left: nh3's
    safe tags and attributes, links opening apart with no referrer. Remote images are
    dropped unless ``remote_images`` (the agent asked to load them)."""

    def attribute(element: str, name: str, value: str) -> str | None:
        # Browsers read a URL's scheme in any case and past leading blanks: so is it here.
        url = value.strip().lower()
        if element == "img" and name == "src":
            if url.startswith("data:image/"):
                return value
            return value if remote_images and url.startswith("https://") else None
        if url.startswith("data:"):
            return None  # data: is for inline images only, never a link or citation
        return value

    return nh3.clean(
        html or "",
        url_schemes=LINK_SCHEMES | {"data"},
        attribute_filter=attribute,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def has_remote_images(html: str) -> bool:
    return bool(re.search(r"<img[^>]+src=[\"']?https?://", html or "", re.I))
