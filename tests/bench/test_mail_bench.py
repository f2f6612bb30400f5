"""The e-mail bench section at a tiny size: it reads the backlog and times arrivals."""

from dataclasses import asdict

import pytest

from bench import mail
from tests.support.mail_servers import dovecot_binary

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mail_section_reads_the_backlog_and_times_arrivals(settings):
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    settings.MAILBOX_POLL_SECONDS = 0.5

    run = mail.measure_mail(mails=30, arrivals=3)

    assert run.status == "ok", run.note
    assert run.mails == 30 and run.per_second > 0
    assert run.latency_samples == 3
    assert 0 <= run.latency_p95 <= 30
    lines = mail.mail_lines(asdict(run))
    assert "30 new mails read" in lines[0]
    assert "goal p95" in lines[1]
    assert run.idle_samples == 3 and 0 <= run.idle_p95 <= 30
    assert "IMAP IDLE" in lines[2]
