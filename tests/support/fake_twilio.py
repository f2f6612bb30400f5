"""A Twilio-compatible HTTP server on loopback, for tests that go through the real SDK.

Implements what Converse calls: ``POST`` and ``GET /2010-04-01/Accounts/{sid}/Messages.json``
with Twilio's JSON shapes, and media downloads behind basic auth. It records every request,
and can be told to answer the next requests with errors (Twilio's error JSON) or delays.
"""

import base64
import contextlib
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API = "/2010-04-01"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    query: dict[str, list[str]]
    authorization: str
    at: float = field(default_factory=time.time)  # when it arrived (benchmarks' request rate)

    def value(self, name: str) -> str:
        return (self.form.get(name) or [""])[0]


@dataclass
class Planned:
    """How to answer one coming request: an error status and code, and/or a delay first."""

    status: int = 200
    code: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    # Every create waits this long, standing in for the real API's round trip (benchmarks).
    latency: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Media answered with a redirect, as Twilio does: API path -> where it redirects.
    redirects: dict[str, str] = field(default_factory=dict)
    connections_opened: int = 0
    # SIDs to give the next created messages, in order (random ones after these).
    next_sids: list[str] = field(default_factory=list)
    _plans: list[Planned] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _connections: set[socket.socket] = field(default_factory=set)

    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Twilio's API does: clients reuse their connection.
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer on a kept-alive connection for 40 ms.
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with fake._lock:
                    fake._connections.add(self.connection)
                    fake.connections_opened += 1

            def finish(self):
                super().finish()
                with fake._lock:
                    fake._connections.discard(self.connection)

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering, on kept-alive connections too: the provider is gone."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # What tests tell it.
    def fail_next(self, status: int, code: int | None = None, message: str = "") -> None:
        self._plans.append(Planned(status=status, code=code, message=message or "Error"))

    def delay_next(self, seconds: float) -> None:
        """Answer the next create after ``seconds``; the message is created anyway, as Twilio
        does when the client gave up waiting."""
        self._plans.append(Planned(delay=seconds))

    def add_media(self, content: bytes, content_type: str, *, redirect_to: str = "") -> str:
        """A media URL of the API. With ``redirect_to``, it answers with a redirect there, as
        Twilio redirects to its CDN; ``"cdn"`` serves the file from this server's ``/cdn/``,
        which needs no credentials."""
        message, media = f"MM{uuid.uuid4().hex}", f"ME{uuid.uuid4().hex}"
        path = f"{API}/Accounts/{self.account_sid}/Messages/{message}/Media/{media}"
        if redirect_to == "cdn":
            self.media[f"/cdn/{media}"] = (content, content_type)
            self.redirects[path] = f"{self.url}/cdn/{media}"
        elif redirect_to:
            self.redirects[path] = redirect_to
        else:
            self.media[path] = (content, content_type)
        return self.url + path

    # What tests read.
    @property
    def creates(self) -> list[Recorded]:
        return [
            r for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")
        ]

    @property
    def lookups(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith("/Messages.json")]

    # Serving.
    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        recorded = Recorded(
            method=method,
            path=parts.path,
            form=parse_qs(raw),
            query=parse_qs(parts.query),
            authorization=handler.headers.get("Authorization", ""),
        )
        with self._lock:
            self.requests.append(recorded)
            plan = self._plans.pop(0) if self._plans else Planned()
        if parts.path.startswith("/cdn/") and parts.path in self.media:
            content, content_type = self.media[parts.path]
            return self._send_bytes(handler, 200, content, content_type)
        if not self._authorised(recorded.authorization):
            return self._send(handler, 401, _error(20003, "Authenticate", 401))
        if plan.status != 200:
            return self._send(handler, plan.status, _error(plan.code, plan.message, plan.status))
        if parts.path in self.redirects and method == "GET":
            handler.send_response(307)
            handler.send_header("Location", self.redirects[parts.path])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if parts.path in self.media and method == "GET":
            content, content_type = self.media[parts.path]
            return self._send_bytes(handler, 200, content, content_type)
        if parts.path != f"{API}/Accounts/{self.account_sid}/Messages.json":
            return self._send(
                handler, 404, _error(20404, "The requested resource was not found", 404)
            )
        if method == "POST":
            message = self._create(recorded)
            time.sleep(plan.delay + self.latency)
            return self._send(handler, 201, message)
        return self._send(handler, 200, self._page(recorded.query))

    def _create(self, recorded: Recorded) -> dict:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        with self._lock:
            sid = self.next_sids.pop(0) if self.next_sids else "SM" + uuid.uuid4().hex
        media = recorded.form.get("MediaUrl", [])
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": recorded.value("Body"),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": recorded.value("From"),
            "messaging_service_sid": None,
            "num_media": str(len(media)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": recorded.value("To"),
            "uri": f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.insert(0, message)  # Twilio lists newest first
        return message

    def _page(self, query: dict[str, list[str]]) -> dict:
        to, from_ = (query.get("To") or [""])[0], (query.get("From") or [""])[0]
        size = int((query.get("PageSize") or ["50"])[0])
        found = [
            m
            for m in self.messages
            if (not to or m["to"] == to) and (not from_ or m["from"] == from_)
        ][:size]
        uri = f"{API}/Accounts/{self.account_sid}/Messages.json?PageSize={size}&Page=0"
        return {
            "end": len(found) - 1,
            "first_page_uri": uri,
            "messages": found,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        FakeTwilio._send_bytes(handler, status, json.dumps(payload).encode(), "application/json")

    @staticmethod
    def _send_bytes(handler, status: int, content: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up waiting (a timeout test) is expected, not an error."""


def _error(code: int | None, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
