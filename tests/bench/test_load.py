"""The benchmark's load runs: they count what succeeded and what it cost the machine."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import HOST, http_load


class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer((HOST, 0), Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def test_a_load_run_reports_what_each_request_cost_the_machine_and_the_clients(server):
    result = http_load(server, lambda worker, seq: ("GET", "/", None, {}), concurrency=2, seconds=1)

    assert result.done > 0 and result.statuses == {"200": result.done}
    assert result.per_second == result.done
    # Both are counted in clock ticks over a second of busy clients: neither comes out empty.
    assert result.cpu_ms > 0
    assert result.client_cpu_ms > 0
