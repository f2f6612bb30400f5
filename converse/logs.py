"""Log lines as JSON (``LOG_FORMAT=json``), each line about a message carrying its public id.

Code that works on one message wraps that work in ``log_about_message(public_id)``: every
line logged meanwhile, by our code or a library's, says which message it is about.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_message_id: ContextVar[str | None] = ContextVar("log_message_id", default=None)


@contextmanager
def log_about_message(public_id: str) -> Iterator[None]:
    token = _message_id.set(public_id or None)
    try:
        yield
    finally:
        _message_id.reset(token)


class MessageIdFilter(logging.Filter):
    """Puts the public id of the message being worked on, if any, on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "message_id", None) is None:
            record.message_id = _message_id.get()
        return True


class PlainFormatter(logging.Formatter):
    """Time, level, logger and message; the message id in brackets on lines about one."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        message_id = getattr(record, "message_id", None)
        return f"{text} [message {message_id}]" if message_id else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the message id, any error."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "message_id", None):
            line["message_id"] = record.message_id
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
