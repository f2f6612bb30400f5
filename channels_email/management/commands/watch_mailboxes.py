"""``manage.py watch_mailboxes``: the mail watcher, a process of its own beside the Celery
worker (``channels_email.watch``). Run one or more; SIGTERM or Ctrl-C stops it, letting its
mailboxes go to the poll (or to another watcher)."""

import signal
import threading

from django.core.management.base import BaseCommand

from ...watch import mailboxes_watch, watcher_name


class Command(BaseCommand):
    help = "Hold an IMAP IDLE connection per mailbox: new mail is read as it arrives."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scan-seconds",
            type=float,
            default=5.0,
            help="How often to look for mailboxes to watch (new ones, or let go by another).",
        )

    def handle(self, *args, scan_seconds: float, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        holder = watcher_name()
        self.stdout.write(f"Mail watcher {holder}: watching mailboxes (Ctrl-C stops it).")
        mailboxes_watch(stop=stop, holder=holder, scan_seconds=scan_seconds)
