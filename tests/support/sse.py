"""Reading a server-sent-events answer in a test: its messages, and reading until one."""

import asyncio
import json


def parse(text: str) -> list[dict]:
    """The messages of ``text`` that name an event, their data read as JSON."""
    messages = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            messages.append(fields)
    return messages


async def read(stream, *, until: str, kind: str = "", timeout: float = 15.0) -> list[dict]:
    """Read the stream until a message of kind ``until`` came (with ``kind``: a change
    naming it); return those read."""
    text = ""
    async with asyncio.timeout(timeout):
        while True:
            text += (await anext(stream)).decode()
            messages = parse(text)
            if any(m["event"] == until and (not kind or kind in m["data"]["k"]) for m in messages):
                return messages
