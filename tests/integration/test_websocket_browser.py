"""README.md's dozen lines of browser JavaScript, run in headless Chromium against a real server.

The page is served from a local http.server (so its Origin is one the server
allows), holds its load event open with an image the test releases once the
page has shown the TCP user's answer, and Chromium's ``--dump-dom`` then
prints what the page wrote to the DOM. The page also reports its log over
HTTP when the answer is in it, so no DevTools protocol is needed.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.client import LineClient
from tests.support.servers import chat_server

README = Path(__file__).resolve().parents[2] / "README.md"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ANSWER = "Hello back from TCP"
# Only the test's additions: report the log once the answer shows, and hold "load" open until then.
REPORTER = f"""
<script>
  const report = setInterval(() => {{
    const text = document.getElementById("log").textContent;
    if (text.includes("{ANSWER}")) {{
      clearInterval(report);
      fetch("/report", {{ method: "POST", body: text }});
    }}
  }}, 50);
</script>
<img src="/hold" alt="">
"""


def readme_snippet() -> str:
    """The JavaScript the README shows, exactly."""
    section = README.read_text().split("#### IRC over WebSocket", 1)[1]
    match = re.search(r"```html\n(.*?)```", section, re.S)
    assert match, "README.md's WebSocket section lost its HTML snippet"
    return match.group(1)


class Page:
    """A local web server for one page; what the page reported; whether load may finish."""

    def __init__(self) -> None:
        self.html = ""
        self.reported = ""
        self.done = threading.Event()
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/hold":
                    page.done.wait(40)
                    self._reply(204, b"", "image/gif")
                elif self.path == "/":
                    self._reply(200, page.html.encode(), "text/html; charset=utf-8")
                else:
                    self._reply(404, b"", "text/plain")

            def do_POST(self) -> None:
                page.reported = self.rfile.read(int(self.headers["Content-Length"])).decode()
                self._reply(204, b"", "text/plain")
                page.done.set()

            def _reply(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def page() -> Iterator[Page]:
    served = Page()
    yield served
    served.close()


@contextlib.contextmanager
def chromium_dumping(url: str, profile: Path) -> Iterator[subprocess.Popen[str]]:
    assert CHROMIUM is not None
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", url],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the browser and the helpers it started, all ours
        proc.wait(10)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (`make system-deps` installs it)")
@pytest.mark.timeout(90)
@pytest.mark.parametrize("mode", ["pool", "process"])
def test_the_readme_javascript_chats_from_a_browser_with_a_tcp_user(mode: str, page: Page, tmp_path: Path) -> None:
    with chat_server(mode, "--websocket-port", "0", "--websocket-origins", page.origin) as srv, \
            LineClient(srv.address, "tcpuser", timeout=30) as tcp:
        tcp.send("JOIN #lobby")
        tcp.expect(" 366 ")
        snippet = readme_snippet().replace("ws://localhost:8097", f"ws://127.0.0.1:{srv.ws_port}")
        page.html = f"<!doctype html><html><body>{snippet}{REPORTER}</body></html>"
        with chromium_dumping(page.origin + "/", tmp_path / "profile") as browser:
            tcp.expect(r":webber!~webber@127\.0\.0\.1 JOIN #lobby")
            said = tcp.expect(r":webber!\S+ PRIVMSG #lobby ")
            assert said.params == ("#lobby", "Hello from a browser")
            tcp.send(f"PRIVMSG #lobby :{ANSWER}")
            assert page.done.wait(30), "the page never showed the answer"
            dom, _ = browser.communicate(timeout=30)
        shown = re.search(r'<pre id="log">(.*?)</pre>', dom, re.S)
        assert shown, dom[:2000]
        lines = html.unescape(shown.group(1)).splitlines()
        assert f":tcpuser!~tcpuser@127.0.0.1 PRIVMSG #lobby :{ANSWER}" in lines
        assert any(re.fullmatch(r":\S+ 001 webber .*", line) for line in lines)
        assert page.reported.splitlines() == lines[:len(page.reported.splitlines())]
