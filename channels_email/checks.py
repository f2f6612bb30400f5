"""Whether a mailbox's servers take its login: what the admin's "Test the connection" says."""

from django.conf import settings

from inbox.channels import SendError

from .imap import MailboxUnreachable, folder_quoted, idle_offered, imap_session
from .models import Mailbox
from .smtp import smtp_connect


def mailbox_check(mailbox: Mailbox) -> list[tuple[bool, str]]:
    """(worked, what happened) for IMAP, then SMTP."""
    lines = []
    try:
        with imap_session(mailbox) as conn:
            status, _ = conn.select(folder_quoted(mailbox.folder), readonly=True)
            idle = idle_offered(conn)
        lines.append(
            (
                status == "OK",
                f"IMAP: logged in, folder {mailbox.folder} opened. "
                + (
                    "The server offers IDLE: the mail watcher reads new mail as it arrives."
                    if idle
                    else "The server does not offer IDLE: new mail is polled "
                    f"every {settings.MAILBOX_POLL_SECONDS} s."
                )
                if status == "OK"
                else f"IMAP: logged in, but no folder {mailbox.folder}.",
            )
        )
    except MailboxUnreachable as error:
        lines.append((False, f"IMAP failed: {error}"))
    try:
        conn = smtp_connect(mailbox)
        conn.quit()
        lines.append((True, "SMTP: logged in."))
    except SendError as error:
        lines.append((False, f"SMTP failed: {error.detail or error}"))
    except OSError as error:
        lines.append((False, f"SMTP failed: {error}"))
    return lines
