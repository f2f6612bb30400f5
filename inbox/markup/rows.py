"""List rows, the navigation's sender IDs and the sender filter's options, built in Python:
a list draws fifty rows on every refresh and an admin's navigation hundreds of sender IDs,
and the template engine took about half a millisecond for each (as Django's admin change
list builds its rows)."""

from html import escape

from django.utils import timezone
from django.utils.safestring import mark_safe

from ..channels import channel_rules
from ..models import MessageDirection
from ..pure.phone import format_phone
from ..waiting import Waiting
from . import channel_short, fill, url_stem


def ago(value) -> str:
    """Short relative time: 'now', '5 min', '3 h', then the date."""
    if not value:
        return ""
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    if seconds < 7 * 86400:
        return timezone.localtime(value).strftime("%a")
    return timezone.localtime(value).strftime("%d %b")


def waiting_badges(waiting: Waiting, since, with_age: bool = False) -> str:
    """The waiting badge (pending, soon overdue, overdue) and the rep-needed flag."""
    parts = []
    if waiting.state:
        label = waiting.state.label + (f" · {ago(since)}" if with_age else "")
        parts.append(
            f'<span class="waiting waiting-{waiting.state.value}" title="Waiting since '
            f'{timezone.localtime(since):%H:%M}">{escape(label)}</span>'
        )
    if waiting.after_hours:
        parts.append(
            '<span class="waiting waiting-after_hours" title="The customer wrote while the '
            'business hours are closed: the wait counts from opening">After hours</span>'
        )
    if waiting.rep_needed:
        parts.append('<span class="waiting waiting-rep_needed">Rep needed</span>')
    return mark_safe(" ".join(parts))


# One row of a conversation list, two lines high: who, through which sender ID and when;
# then the last message, the badges and the status. Every {field} is filled with escaped
# text, except {older}, {meta} and {badges}, which _row builds from escaped parts.
ROW = (
    '<li class="{classes}"{older}>'
    '<input type="checkbox" class="row-select" name="ids" value="{id}" form="bulk-form"'
    ' aria-label="Select {label}">'
    '<a href="{url}" hx-get="{url}" hx-target="#window" hx-select="#window" hx-swap="outerHTML"'
    ' hx-push-url="true">'
    '<span class="avatar channel-{channel}" aria-hidden="true">{initial}</span>'
    '<span class="row-main">'
    '<span class="row-top"><span class="name" title="{name}">{name}</span>'
    '<span class="row-meta" title="{via}"><span class="channel-icon channel-{channel}"'
    ' title="{channel_label}">{channel_short}</span>{meta}</span>'
    '<time datetime="{iso}" title="{when}">{ago}</time></span>'
    '<span class="row-bottom"><span class="preview">{you}{preview}</span>{badges}'
    '<span class="status status-{status}">{status_label}</span></span>'
    "</span></a></li>"
)


def conversation_rows(conversations, *, list_kind: str, active_id: str, older: bool) -> str:
    """The rows of a conversation list."""
    url = url_stem("inbox:conversation")
    return mark_safe("".join(_row(c, url, list_kind, active_id, older) for c in conversations))


def _row(c, url: str, list_kind: str, active_id: str, older: bool) -> str:
    contact, sender, local = c.contact, c.sender_id, timezone.localtime(c.last_activity_at)
    # A customer known by neither name nor number (an e-mail sender) by the thread's address.
    name = (
        contact.display_name
        or format_phone(contact.phone_e164 or "")
        or channel_rules(sender.channel).display_address(c.customer_address)
    )
    text = {
        "classes": "conversation-row"
        + (" unread" if c.is_unread else "")
        + (" active" if c.public_id == active_id else ""),
        "id": c.public_id,
        "label": name,
        "url": f"{url}{c.public_id}/",
        "channel": sender.channel,
        "initial": contact.display_name[:1].upper() if contact.display_name else "#",
        "name": name,
        "iso": local.isoformat(),
        "when": f"{local:%a} {local.day} {local:%b %Y, %H:%M}",
        "ago": ago(c.last_activity_at),
        "you": "You: " if c.last_message_direction == MessageDirection.OUTBOUND else "",
        "preview": c.last_message_preview,
        "status": c.status,
        "status_label": c.get_status_display(),
        "channel_label": sender.get_channel_display(),
        "channel_short": channel_short(sender.channel),
        # In full where the row has to shorten it.
        "via": f"{sender} · {c.owner}" if c.owner and list_kind != "mine" else str(sender),
    }
    meta = f'<span class="row-sender">{escape(sender.label or sender.address)}</span>'
    if c.owner and list_kind != "mine":
        meta += f'<span class="row-owner">{escape(str(c.owner))}</span>'
    badges = ""
    if c.waiting.state or c.waiting.rep_needed:
        badges += waiting_badges(c.waiting, c.waiting_since)
    badges += "".join(
        f'<span class="row-label">{escape(name)}</span>' for name in getattr(c, "label_names", ())
    )
    if c.snoozed_by_id:
        badges += '<span class="row-snoozed">Snoozed</span>'
    if c.with_bot:
        badges += '<span class="row-bot" title="A bot is answering">🤖 With the bot</span>'
    if c.is_unread:
        badges += '<span class="sr-only"> (unread)</span>'
    markup = {"older": " data-older" if older else "", "meta": meta, "badges": badges}
    return fill(ROW, markup, **text)


# One sender ID in the navigation: {current} and {badge} are built from escaped parts.
NAV_SENDER = (
    '<li><a href="{url}" hx-get="{url}" hx-target="#main" hx-select="#main" hx-swap="outerHTML"'
    ' hx-push-url="true"{current}'
    ' title="{title}"><span class="channel-icon channel-{channel}">{channel_short}</span>'
    '<span class="nav-label">{label}</span>{badge}</a></li>'
)


def nav_sender_links(senders, *, current_pk: int | None) -> str:
    """The navigation's sender IDs (drawn again whenever the counts change)."""
    url = url_stem("inbox:sender_inbox")
    links = []
    for sender in senders:
        text = {
            "url": f"{url}{sender.public_id}/",
            "channel": sender.channel,
            "channel_short": channel_short(sender.channel),
            "label": sender.label or sender.address,
            "title": f"{sender.label} ({sender.address})" if sender.label else sender.address,
        }
        unread = sender.unread
        markup = {
            "current": ' aria-current="page"' if sender.pk == current_pk else "",
            "badge": f'<span class="badge" aria-label="{unread} unread">{unread}</span>'
            if unread
            else "",
        }
        links.append(fill(NAV_SENDER, markup, **text))
    return mark_safe("".join(links))


def sender_options(senders, *, selected: str) -> str:
    """The sender ID filter's options (hundreds for an admin)."""
    options = []
    for sender in senders:
        chosen = " selected" if sender.public_id == selected else ""
        label = escape(sender.label or sender.address)
        options.append(f'<option value="{escape(sender.public_id)}"{chosen}>{label}</option>')
    return mark_safe("".join(options))
