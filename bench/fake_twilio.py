"""A Twilio-compatible Messages API on loopback: answers creates like Twilio (201 + JSON).

Only what the SDK's ``client.messages.create`` and a lookup by SID need. ``latency`` makes
each answer wait, standing in for the real API's round trip.
"""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], latency: float = 0.0) -> None:
        super().__init__(address, Handler)
        self.latency = latency
        self.created = 0
        self.lock = threading.Lock()


def message_json(account_sid: str, sid: str, params: dict[str, str]) -> dict:
    now = formatdate(usegmt=True)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": params.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": params.get("From", ""),
        "messaging_service_sid": params.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"
        },
        "to": params.get("To", ""),
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }


class Handler(BaseHTTPRequestHandler):
    server: FakeTwilio
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        """Quiet: thousands of requests per run."""

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _account(self) -> str:
        parts = self.path.split("/")
        return parts[3] if len(parts) > 3 else ""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if not self.path.split("?")[0].endswith("/Messages.json"):
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        if self.server.latency:
            time.sleep(self.server.latency)
        with self.server.lock:
            self.server.created += 1
        sid = "SM" + uuid.uuid4().hex
        self._answer(201, message_json(self._account(), sid, form))

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/Messages.json"):
            self._answer(200, {"messages": [], "next_page_uri": None, "page": 0})
        else:
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})


@contextmanager
def serving(latency: float = 0.0) -> Iterator[FakeTwilio]:
    """Run the fake API on a free loopback port for the duration of the block."""
    server = FakeTwilio(("127.0.0.1", 0), latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
