"""The web-chat section's lines: every figure on a line, the webhook's rate beside."""

from bench.webchat import WebchatResult, webchat_lines

MEASURED = WebchatResult(
    screen_messages=100, screen_rate=3.0, screen_p50_ms=149.0, screen_p95_ms=187.0,
    reply_messages=60, reply_rate=2.0, reply_visitors=4, reply_p50_ms=120.0, reply_p95_ms=190.0,
    idle_visitors=1000, idle_held=1000, idle_seconds=60.0, idle_rss_before_mb=99.0,
    idle_rss_after_mb=229.0, idle_cpu_percent=1.25, idle_connections=3, idle_told=1000,
    idle_answered=1000, idle_answer_seconds=21.3, idle_answer_cpu_percent=48.0, state_cpu_ms=9.9,
    accepted_per_second=39.0, accepted=585, accepted_seconds=15.0, accepted_concurrency=8,
    accepted_statuses={"201": 585},
)  # fmt: skip


def test_each_figure_is_printed_with_the_webhooks_rate_beside_when_measured():
    text = "\n".join(
        webchat_lines(vars(MEASURED), {"status": "ok", "per_second": 796.9, "concurrency": 8})
    )
    assert "p50 149 ms, p95 187 ms over 100 messages" in text
    assert "agent reply to visitor screen: p50 120 ms, p95 190 ms over 60 replies" in text
    assert "1,000 idle visitors holding their streams on one process for 60 s" in text
    assert (
        "1,000 held, 229 MB (from 99 MB), 1.25 % CPU, 3 database connections and 0 threads" in text
    )
    assert "1,000 streams told their visitor, 1,000 state asks answered" in text
    assert "9.9 ms of web CPU" in text
    assert "messages accepted: 39.0/s" in text
    assert "Twilio webhook's ingest 796.9/s" in text
    assert "not measured" not in text


def test_without_the_webhook_section_or_chromium_the_lines_say_so():
    result = vars(MEASURED) | {"screen_messages": 0, "screen_note": "no chromium"}
    result |= {"reply_messages": 0, "reply_note": "no chromium"}
    text = "\n".join(webchat_lines(result, None))
    assert "visitor message to agent screen: not measured (no chromium)" in text
    assert "agent reply to visitor screen: not measured (no chromium)" in text
    assert "webhook's ingest not measured in this run" in text
