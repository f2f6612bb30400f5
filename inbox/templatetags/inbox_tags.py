"""Lists and navigation: the rows and links are built by ``inbox.markup.rows``."""

from django import template

from inbox.markup import rows
from inbox.pure.phone import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return format_phone(value) if value else ""


register.filter("ago", rows.ago)
register.simple_tag(rows.waiting_badges, name="waiting_badges")
register.simple_tag(rows.conversation_rows, name="conversation_rows")
register.simple_tag(rows.nav_sender_links, name="nav_sender_links")
register.simple_tag(rows.sender_options, name="sender_options")
