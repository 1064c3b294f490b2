"""End-to-end tests of the Python client (python/any_client.py) with a page's WebMCP tools.

A real any server (`any serve`), a real headless Chromium with WebMCP on and the WebMCP mirror
loaded (`any launch --webmcp`, with the userscripts of tests/fixtures/userscripts-webmcp), and
pages served from here on 127.0.0.1 that register the tools of tests/fixtures/webmcp/tools.js
(their only script, under a CSP that allows no other) -- as tests/e2e/harness.ts serves them.
Everything goes through the Python client's methods() and call(). Run from the repository
root, after `npm run build`:

    python3 -m unittest tests/python/test_webmcp.py -v
"""
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # run as tests/python/test_webmcp.py, not by discover -s tests/python
    sys.path.insert(0, HERE)

# Only helpers, no test cases: importing them runs none of test_any_client's tests.
from test_any_client import (  # noqa: E402
    CLI, NODE, REPO, HttpServer, ManagedBrowser, free_port, server_pids, wait_until)
import any_client  # noqa: E402 - on sys.path through test_any_client
from any_client import AnyError  # noqa: E402

USERSCRIPTS_WEBMCP = os.path.join(REPO, "tests", "fixtures", "userscripts-webmcp")
WEBMCP_TOOLS = os.path.join(REPO, "tests", "fixtures", "webmcp", "tools.js")
WEBMCP_CSP = "default-src 'none'; script-src 'self'"


class _WebmcpPageHandler(BaseHTTPRequestHandler):
    """Pages under /webmcp…: their only script is /webmcp-tools.js, which registers the tools."""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/webmcp-tools.js":
            with open(WEBMCP_TOOLS, "rb") as tools:
                self._answer(200, "text/javascript; charset=utf-8", tools.read())
        elif path.startswith("/webmcp"):
            body = ("<!doctype html><html><head><title>WebMCP page</title>"
                    '<script src="/webmcp-tools.js"></script></head><body>Tools</body></html>').encode()
            self._answer(200, "text/html; charset=utf-8", body, {"Content-Security-Policy": WEBMCP_CSP})
        else:
            self._answer(404, "text/plain; charset=utf-8", b"not found")

    def _answer(self, status, content_type, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def webmcp_browser(port, userscripts):
    """`any launch --headless --webmcp` as a subprocess (test_any_client's ManagedBrowser);
    returns once its extension has connected to the server."""
    return ManagedBrowser(port, userscripts, flags=["--webmcp"], wait_connected=True)


class AnyServer:
    """`any serve --port <port>` in the foreground, as a subprocess; returns once it listens."""

    def __init__(self, port):
        self.port = port
        self.process = subprocess.Popen([NODE, CLI, "serve", "--port", str(port)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(15) or self.process.poll() is not None:
            self.close()
            raise RuntimeError(f"any serve did not get ready:\n{''.join(self.output)}")

    def _read(self):
        with self.process.stdout:
            for line in self.process.stdout:
                self.output.append(line)
                if line.startswith("any server listening on"):
                    self.ready.set()

    def close(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("any serve did not exit within 15 s of SIGTERM")
        finally:
            self.reader.join(5)


def _by_name(listed):
    return {method["name"]: method for method in listed}


class WebmcpTest(unittest.TestCase):
    """The page's WebMCP tools, through the Python client, next to the userscripts' methods."""

    @classmethod
    def setUpClass(cls):
        if NODE is None or not os.path.isfile(CLI):
            raise RuntimeError(f"these tests need Node.js and a built any ({CLI}): run `npm run build`")
        cls.pages = cls.server = cls.browser = None
        try:
            cls.pages = HttpServer(_WebmcpPageHandler)
            cls.port = free_port()
            cls.server = AnyServer(cls.port)
            cls.browser = webmcp_browser(cls.port, USERSCRIPTS_WEBMCP)
        except BaseException:
            cls._close_all()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._close_all()

    @classmethod
    def _close_all(cls):
        """Browser, then server, then pages; each tried even if another failed. Checks nothing is left."""
        failures = []
        for part in (cls.browser, cls.server, cls.pages):
            if part is None:
                continue
            try:
                part.close()
            except Exception as error:  # noqa: BLE001 - reported below, after the others closed
                failures.append(f"{type(part).__name__}: {error}")
        port = getattr(cls, "port", None)
        if port is not None and not wait_until(lambda: not server_pids(port), 10):
            failures.append(f"servers left on port {port}: {server_pids(port)}")
        if cls.browser is not None and cls.browser.profile is not None:
            if not wait_until(lambda: not cls.browser.remains(), 10):
                failures.append(f"browser left (processes, profile exists): {cls.browser.remains()}")
        cls.pages = cls.server = cls.browser = None
        if failures:
            raise AssertionError("tearing down: " + "; ".join(failures))

    def url(self, path):
        return self.pages.url(path)

    def call(self, path, method, params=None, **options):
        return any_client.call(self.url(path), method, params, port=self.port, start_server=False, **options)

    def test_methods_lists_the_pages_tools_and_the_userscripts_methods_each_with_its_source(self):
        listed = _by_name(any_client.methods(self.url("/webmcp/list"), port=self.port, start_server=False))
        self.assertEqual(listed.get("webmcp:add"), {
            "name": "webmcp:add",
            "source": "webmcp",
            "title": "Add two numbers",
            "description": "Adds a and b.",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]},
            "annotations": {"readOnlyHint": True, "untrustedContentHint": True},
        })
        # Described as a WebMCP tool is; annotations that are not boolean hints are left out.
        self.assertEqual(listed.get("multiply"), {
            "name": "multiply",
            "source": "userscript",
            "title": "Multiply two numbers",
            "description": "Multiplies a and b.",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]},
            "outputSchema": {"type": "object", "properties": {"product": {"type": "number"}}, "required": ["product"]},
            "annotations": {"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False},
        })
        for tool in ("greet", "nothing", "fail", "wait", "abortedCount", "dropTemporary", "temporary", "echo"):
            self.assertEqual(listed.get(f"webmcp:{tool}", {}).get("source"), "webmcp", f"webmcp:{tool} is listed")
        # The page's tool named echo, which says it is a userscript's, keeps its prefix and source.
        self.assertEqual(listed["echo"], {"name": "echo", "source": "userscript"})
        self.assertEqual((listed["webmcp:echo"]["source"], listed["webmcp:echo"]["title"]),
                         ("webmcp", "echo (userscript)"))
        for method in listed.values():
            self.assertEqual(method["source"], "webmcp" if method["name"].startswith("webmcp:") else "userscript")

    def test_calls_give_the_tools_results_a_string_stays_a_string_nothing_is_None(self):
        self.assertEqual(self.call("/webmcp/", "webmcp:add", {"a": 2, "b": 3}), {"sum": 5})
        self.assertEqual(self.call("/webmcp/", "webmcp:greet", {"name": "Ada"}), "Hello, Ada!")
        self.assertIsNone(self.call("/webmcp/", "webmcp:nothing"))
        self.assertEqual(self.call("/webmcp/", "multiply", {"a": 4, "b": 5}), {"product": 20})

    def test_a_page_tool_never_shadows_a_userscript_method_nor_a_userscript_the_pages_tool(self):
        self.assertEqual(self.call("/webmcp/", "echo", {"x": 1}), {"userscript": True, "params": {"x": 1}})
        self.assertEqual(self.call("/webmcp/", "webmcp:echo"), "the page's echo")
        # described.user.js set __any__['webmcp:greet'] first; the page's tool has the name.
        self.assertEqual(self.call("/webmcp/", "webmcp:greet", {"name": "Bo"}), "Hello, Bo!")

    def test_a_tool_that_throws_raises_METHOD_THREW_naming_the_tool(self):
        with self.assertRaises(AnyError) as caught:
            self.call("/webmcp/", "webmcp:fail")
        self.assertEqual(caught.exception.code, "METHOD_THREW")
        self.assertIn('The page\'s WebMCP tool "fail" failed', caught.exception.message)

    def test_an_unknown_tool_raises_METHOD_NOT_FOUND_naming_the_tools_there_are(self):
        with self.assertRaises(AnyError) as caught:
            self.call("/webmcp/", "webmcp:nope")
        error = caught.exception
        self.assertEqual((error.code, error.name), ("METHOD_NOT_FOUND", "MethodNotFoundError"))
        self.assertRegex(error.message, r'no WebMCP tool "nope".*The WebMCP tools here: .*webmcp:add')
        self.assertIn("webmcp:add", error.methods)
        self.assertIn("multiply", error.methods)
        self.assertNotIn("webmcp:nope", error.methods)

    def test_a_timeout_raises_TIMEOUT_and_aborts_the_tools_signal_where_the_browser_gives_one(self):
        path = "/webmcp/abort"
        self.assertEqual(self.call(path, "webmcp:abortedCount"), 0)  # the tab is open: time only the tool
        started = time.monotonic()
        with self.assertRaises(AnyError) as caught:
            self.call(path, "webmcp:wait", timeout=0.5)
        elapsed = time.monotonic() - started
        self.assertEqual((caught.exception.code, caught.exception.name), ("TIMEOUT", "TimeoutError"))
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertLess(elapsed, 3)
        if self.call(path, "webmcp:unsignalledCount") == 1:
            return  # this Chromium (150) calls WebMCP tools without a signal: the call's end is all there is
        aborted = wait_until(lambda: self.call(path, "webmcp:abortedCount") >= 1, 3)
        self.assertTrue(aborted, "the tool's signal was not aborted by the timeout")
        self.assertEqual(self.call(path, "webmcp:abortedCount"), 1)


if __name__ == "__main__":
    unittest.main()
