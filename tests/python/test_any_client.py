"""End-to-end tests of the Python client (python/any_client.py), with nothing faked.

They serve pages on 127.0.0.1 (with the strictest CSP), launch the managed headless Chromium
with the test userscripts (`any launch`), and call through the real any server, which the
first call starts by itself. The tests that reach into a page run again in a managed headless
Firefox ESR (`any launch --browser firefox`, its own port and server): the *OnFirefoxTest
classes. Run from the repository root, after `npm run build`:

    python3 -m unittest discover -s tests/python -v
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
PYTHON_DIR = os.path.join(REPO, "python")
CLI = os.path.join(REPO, "dist", "cli.js")
TEST_USERSCRIPTS = os.path.join(REPO, "tests", "fixtures", "userscripts")
# Loaded only into the browser named "b": its whoAmI answers "b".
USERSCRIPTS_B = os.path.join(REPO, "tests", "fixtures", "userscripts-b")
EXAMPLE_USERSCRIPTS = os.path.join(REPO, "examples", "userscripts")
RUN_PY = os.path.join(REPO, "examples", "run.py")
NODE = shutil.which("node")
STRICT_CSP = "default-src 'none'; script-src 'none'"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                   "http_proxy", "https_proxy", "all_proxy", "no_proxy")

sys.path.insert(0, PYTHON_DIR)
import any_client  # noqa: E402
from any_client import AnyError  # noqa: E402


# ── the real parts ─────────────────────────────────────────────────────────────


class _PageHandler(BaseHTTPRequestHandler):
    """Every path is a small page that only the extension's scripts can touch (strict CSP)."""

    def do_GET(self):
        path = self.path.split("?")[0]
        body = f'<title>Test page {path}</title><h1 id="heading">Heading of {path}</h1>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Security-Policy", STRICT_CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _JsonHandler(BaseHTTPRequestHandler):
    """Plays another program holding a port: it answers JSON, but not any's."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HttpServer:
    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class ManagedBrowser:
    """`any launch --headless` as a subprocess; its extension connects to the server on `port`.

    With a `name` (`--name`), it returns once `any launch` says its browser connected under it,
    to the server that must already run on `port` (as it does with `wait_connected`). With
    `browser="firefox"`, the browser is Firefox ESR (`--browser firefox`) instead of Chromium;
    `flags` are more `any launch` flags (`--webmcp`)."""

    def __init__(self, port, userscripts, name=None, browser=None, flags=(), wait_connected=False):
        self.output = []
        self.started = threading.Event()
        self.connected = threading.Event()
        named = [] if name is None else ["--name", name]
        chosen = [] if browser is None else ["--browser", browser]
        self.process = subprocess.Popen(
            [NODE, CLI, "launch", "--headless", *chosen, *flags, "--userscripts", userscripts, "--port", str(port), *named],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.started.wait(60) or self.process.poll() is not None:
            self.close()
            raise RuntimeError(f"any launch did not start a browser:\n{''.join(self.output)}")
        if (name is not None or wait_connected) and not self.connected.wait(30):
            self.close()
            raise RuntimeError(f"the browser {name or ''} did not connect:\n{''.join(self.output)}")
        found = re.search(r"with a temporary profile in (.+)\.$", "".join(self.output), re.MULTILINE)
        if not found:
            self.close()
            raise RuntimeError(f"any launch did not name its profile:\n{''.join(self.output)}")
        self.profile = found.group(1)

    def _read(self):
        with self.process.stdout:
            for line in self.process.stdout:
                self.output.append(line)
                if line.startswith("Press Ctrl-C"):
                    self.started.set()
                if line.startswith("Connected to the any server"):
                    self.connected.set()

    def close(self):
        """SIGTERM, as the CLI documents: it closes the browser and removes the profile."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("any launch did not exit within 30 s of SIGTERM")
        finally:
            self.reader.join(5)

    def browser_pid(self):
        """The browser's pid, as `any launch` printed it: it leads the browser's process group."""
        found = re.search(r"^Browser started \(pid (\d+), ", "".join(self.output), re.MULTILINE)
        return int(found.group(1)) if found else None

    def remains(self):
        """What is left of the browser after close(): its processes and its profile folder. The
        processes are those naming the profile and those in the browser's process group (Firefox's
        content processes do not name the profile)."""
        group = self.browser_pid()
        processes = sorted(set(pids(pattern_for(self.profile))) | set([] if group is None else live_group_members(group)))
        return (processes, os.path.exists(self.profile)) if processes or os.path.exists(self.profile) else None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pids(pattern):
    """Processes whose command line matches the extended regular expression `pattern`."""
    found = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True)
    return sorted(int(pid) for pid in found.stdout.split())


def live_group_members(pgid):
    """The processes in the process group `pgid`, without zombies (they have exited already)."""
    table = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True).stdout
    rows = [line.split() for line in table.splitlines()]
    return sorted(int(pid) for pid, group, stat in rows if int(group) == pgid and not stat.startswith("Z"))


def server_pids(port):
    return pids(f"serve --port {port}( |$)")


def pattern_for(text):
    """`text` as an extended regular expression that matches it literally."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def answer_requests(listener, body, count=1):
    """Answers `count` requests on `listener` with `body`, as an any server would, one connection
    each (Connection: close); returns the raw requests as they arrive, and the answering thread."""
    received = []

    def answer():
        for _ in range(count):
            connection, _ = listener.accept()
            with connection:
                received.append(read_request(connection))
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return received, thread


def read_request(connection):
    """Reads one whole HTTP request (headers and body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    declared = re.search(rb"\r\nContent-Length: (\d+)", head, re.IGNORECASE)
    length = int(declared.group(1)) if declared else 0
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def wait_until(condition, seconds):
    """Checks `condition` until it holds or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def stop_and_wait(port):
    any_client.stop_server(port)
    return wait_until(lambda: any_client.health(port) is None and not server_pids(port), 10)


class ProxyEnvironment:
    """Points every proxy variable at a port where nothing listens, and restores them after."""

    def __enter__(self):
        self.saved = {name: os.environ.get(name) for name in PROXY_VARIABLES}
        for name in PROXY_VARIABLES:
            os.environ[name] = "" if name.lower() == "no_proxy" else "http://127.0.0.1:9"
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


PAGES = None
PORT = None
BROWSER = None
FIREFOX = None  # (port, ManagedBrowser) of the Firefox ESR the *OnFirefoxTest classes share, once started


def setUpModule():
    global PAGES, PORT, BROWSER
    if NODE is None or not os.path.isfile(CLI):
        raise RuntimeError(f"these tests need Node.js and a built any ({CLI}): run `npm run build`")
    PAGES = HttpServer(_PageHandler)
    unittest.addModuleCleanup(PAGES.close)
    PORT = free_port()
    BROWSER = launch_without_a_server(PORT)
    unittest.addModuleCleanup(close_browser_and_server, PORT, BROWSER)


def launch_without_a_server(port, browser=None):
    """A managed browser with the test userscripts on `port`, where no server runs yet: the
    first call must start it."""
    if any_client.health(port) is not None or server_pids(port):
        raise RuntimeError(f"a server already runs on port {port}")
    return ManagedBrowser(port, TEST_USERSCRIPTS, browser=browser)


def shared_firefox():
    """The port and Firefox ESR of the *OnFirefoxTest classes: started by the first of them, on a
    port of its own whose server its first call starts (as Chromium's); closed at the module's end."""
    global FIREFOX
    if FIREFOX is None:
        port = free_port()
        FIREFOX = (port, launch_without_a_server(port, browser="firefox"))
        unittest.addModuleCleanup(_close_shared_firefox)
    return FIREFOX


def _close_shared_firefox():
    global FIREFOX
    port, browser = FIREFOX
    FIREFOX = None
    close_browser_and_server(port, browser)


def close_browser_and_server(port, browser):
    any_client.stop_server(port)
    browser.close()
    if not wait_until(lambda: not server_pids(port) and not browser.remains(), 10):
        raise AssertionError(f"left behind: servers {server_pids(port)}, "
                             f"browser (processes, profile exists) {browser.remains()}")


class BrowserTestCase(unittest.TestCase):
    """Tests that reach into a page, on `self.port`. As written they run in the module's Chromium;
    a subclass with browser_kind = "firefox" runs the same tests in the shared Firefox ESR."""

    browser_kind = "chromium"
    BRANDS = {"chromium": "Chromium", "firefox": "Firefox"}  # the brand each connects with

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.port = shared_firefox()[0] if cls.browser_kind == "firefox" else PORT

    def assert_the_engines_stack(self, stack, error, function, file):
        """`stack` in the browser engine's own form, from `function` in the userscript `file`.
        V8 (Chromium) starts with the error (`error`, "Name: message"), then "    at …" lines;
        SpiderMonkey (Firefox) lists only the frames, `function@file:line:column`, without it."""
        if self.browser_kind == "firefox":
            self.assertRegex(stack, rf"^{re.escape(function)}@{re.escape(file)}:\d+:\d+\n")
        else:
            self.assertRegex(stack, rf"^{re.escape(error)}\n    at (Object\.)?{re.escape(function)} \({re.escape(file)}:\d+:\d+\)\n")


# ── the tests ──────────────────────────────────────────────────────────────────


class CallTest(BrowserTestCase):
    def test_returns_the_methods_json_result(self):
        page = PAGES.url("/results")
        params = {"text": "héllo ✓", "list": [1, 2.5, None, True, False], "nested": {"a": {"b": []}}}
        self.assertEqual(any_client.call(page, "echo", params, port=self.port), params)
        self.assertEqual(any_client.call(page, "echo", port=self.port), {})  # params=None sends {}
        self.assertEqual(any_client.call(page, "add", {"a": 2, "b": 3}, port=self.port), 5)
        self.assertEqual(any_client.call(page, "pageTitle", port=self.port), "Test page /results")
        self.assertEqual(any_client.call(page, "readDom", {"selector": "#heading"}, port=self.port),
                         {"text": "Heading of /results", "tag": "h1"})
        self.assertIsNone(any_client.call(page, "returnsNothing", port=self.port))
        # The same page load serves the next call: its counter goes on.
        first = any_client.call(page, "count", port=self.port)
        self.assertEqual(any_client.call(page, "count", port=self.port), first + 1)

    def test_awaits_an_async_result(self):
        started = time.monotonic()
        result = any_client.call(PAGES.url("/async"), "sleep", {"ms": 300}, timeout=10, port=self.port)
        self.assertEqual(result, {"slept": 300})
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_a_method_that_throws_raises_the_pages_own_error_with_the_engines_stack(self):
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/throws"), "throwTypeError", {"message": "x is not a y"}, port=self.port)
        error = caught.exception
        self.assertEqual(error.name, "TypeError")
        self.assertEqual(error.message, "x is not a y")
        self.assertEqual(error.code, "METHOD_THREW")
        self.assertEqual(str(error), "TypeError: x is not a y")
        self.assert_the_engines_stack(error.stack, "TypeError: x is not a y", "throwTypeError", "test-methods.user.js")
        self.assertIsNone(error.methods)

    def test_a_result_json_cannot_carry_is_bad_result(self):
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/bad-result"), "returnsElement", port=self.port)
        self.assertEqual((caught.exception.code, caught.exception.name), ("BAD_RESULT", "BadResultError"))
        self.assertIsNone(caught.exception.stack)

    def test_an_unknown_method_lists_the_methods_there_are(self):
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/unknown"), "noSuchMethod", port=self.port)
        error = caught.exception
        self.assertEqual(error.code, "METHOD_NOT_FOUND")
        self.assertEqual(error.name, "MethodNotFoundError")
        self.assertIn("noSuchMethod", error.message)
        self.assertIn("echo", error.methods)
        self.assertIn("throwTypeError", error.methods)

    def test_a_timeout_in_seconds_ends_the_call_with_TIMEOUT(self):
        any_client.call(PAGES.url("/timeout"), "echo", port=self.port)  # the tab is open: time only the method
        started = time.monotonic()
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/timeout"), "sleep", {"ms": 5000}, timeout=0.3, port=self.port)
        elapsed = time.monotonic() - started
        self.assertEqual((caught.exception.code, caught.exception.name), ("TIMEOUT", "TimeoutError"))
        self.assertIn("300 ms", caught.exception.message)  # sent as whole milliseconds
        self.assertGreaterEqual(elapsed, 0.3)
        self.assertLess(elapsed, 2)

    def test_proxy_settings_are_ignored(self):
        page = PAGES.url("/proxied")
        saved = os.environ.get("HTTP_PROXY")
        with ProxyEnvironment():
            self.assertEqual(os.environ["HTTP_PROXY"], "http://127.0.0.1:9")
            self.assertEqual(any_client.call(page, "add", {"a": 40, "b": 2}, port=self.port), 42)
            self.assertEqual(any_client.health(self.port)["port"], self.port)
        self.assertEqual(os.environ.get("HTTP_PROXY"), saved)

    def test_health_describes_the_server_and_its_browser(self):
        any_client.call(PAGES.url("/health"), "echo", port=self.port)
        health = any_client.health(self.port)
        self.assertEqual((health["ok"], health["v"], health["service"], health["port"]), (True, 1, "any", self.port))
        self.assertIs(health["extension"], True)
        self.assertEqual([(browser["kind"], browser["brand"]) for browser in health["browsers"]],
                         [("managed", self.BRANDS[self.browser_kind])])
        self.assertEqual(server_pids(self.port), [health["pid"]])


class CallOnFirefoxTest(CallTest):
    browser_kind = "firefox"


class BadArgumentsTest(unittest.TestCase):
    BAD_CALLS = [
        dict(page="example.com", method="echo"),
        dict(page="/relative/path", method="echo"),
        dict(page="ftp://example.com/", method="echo"),
        dict(page="javascript:alert(1)", method="echo"),
        dict(page="http://", method="echo"),
        dict(page=b"http://example.com/", method="echo"),
        dict(page=None, method="echo"),
        dict(page="https://example.com/", method=""),
        dict(page="https://example.com/", method=None),
        dict(page="https://example.com/", method=42),
        dict(page="https://example.com/", method="echo", params=[1, 2]),
        dict(page="https://example.com/", method="echo", params="{}"),
        dict(page="https://example.com/", method="echo", params={"when": object()}),
        dict(page="https://example.com/", method="echo", params={"n": float("nan")}),
        dict(page="https://example.com/", method="echo", timeout=0),
        dict(page="https://example.com/", method="echo", timeout=-1),
        dict(page="https://example.com/", method="echo", timeout="5"),
        dict(page="https://example.com/", method="echo", timeout=True),
        dict(page="https://example.com/", method="echo", timeout=float("nan")),
        dict(page="https://example.com/", method="echo", timeout=3601),
        dict(page="https://example.com/", method="echo", server_command="npx any"),
        dict(page="https://example.com/", method="echo", server_command=[]),
        dict(page="https://example.com/", method="echo", browser="two words"),
        dict(page="https://example.com/", method="echo", browser=""),
        dict(page="https://example.com/", method="echo", browser="-b"),
        dict(page="https://example.com/", method="echo", browser="b" * 64),
        dict(page="https://example.com/", method="echo", browser=b"b"),
        dict(page="https://example.com/", method="echo", browser=2),
    ]

    def test_bad_arguments_raise_BadRequestError_before_any_request(self):
        # A listener that accepts nothing: a connection attempt would wait in its queue.
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            for kwargs in self.BAD_CALLS:
                with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                    with self.assertRaises(AnyError) as caught:
                        any_client.call(**kwargs, port=port)
                    self.assertEqual((caught.exception.code, caught.exception.name), ("BAD_REQUEST", "BadRequestError"))
                    self.assertTrue(caught.exception.message.startswith("Bad call: "))
            for port_value in ("8765", 0, 65536, True, 8765.0):
                with self.subTest(port=repr(port_value)):
                    with self.assertRaises(AnyError) as caught:
                        any_client.call("https://example.com/", "echo", port=port_value)
                    self.assertEqual(caught.exception.code, "BAD_REQUEST")
            listener.setblocking(False)
            with self.assertRaises(BlockingIOError):
                listener.accept()  # no connection was ever attempted
            self.assertEqual(server_pids(port), [])

            # The control: a good call does reach the listener, which hangs up mid-call.
            requests = []

            def hang_up():
                listener.setblocking(True)
                listener.settimeout(5)
                try:
                    while True:
                        connection, _ = listener.accept()
                        with connection:
                            requests.append(read_request(connection))
                except OSError:
                    pass

            threading.Thread(target=hang_up, daemon=True).start()
            with self.assertRaises(AnyError) as caught:
                any_client.call("https://example.com/", "echo", port=port, start_server=False)
            self.assertEqual((caught.exception.code, caught.exception.name), ("DISCONNECTED", "DisconnectedError"))
            self.assertIn(str(port), caught.exception.message)
            self.assertTrue(requests and requests[0].startswith(b"POST /call HTTP/1.1\r\n"), requests)
            self.assertIn(f"\r\nHost: 127.0.0.1:{port}\r\n".encode(), requests[0])
            self.assertIn(b"\r\nContent-Type: application/json\r\n", requests[0])
            self.assertNotIn(b"\r\nOrigin:", requests[0])
            self.assertTrue(requests[0].endswith(b'{"page":"https://example.com/","method":"echo","params":{}}'), requests[0])

    def test_the_timeout_is_sent_as_whole_milliseconds(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            received, thread = answer_requests(listener, b'{"v":1,"id":"1","result":"answered"}')
            self.assertEqual(any_client.call("https://example.com/", "echo", {"a": 1}, timeout=1.5,
                                             port=port, start_server=False), "answered")
            thread.join(5)
            self.assertTrue(received[0].endswith(b'"params":{"a":1},"timeout":1500}'), received)


    def test_a_browser_name_is_sent_as_browser_when_given(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            received, thread = answer_requests(listener, b'{"v":1,"id":"1","result":"answered"}', count=3)
            self.assertEqual(any_client.call("https://example.com/", "echo", browser="work-2",
                                             port=port, start_server=False), "answered")
            with any_client.stream("https://example.com/", "echo", timeout=1, browser="b.x_y",
                                   port=port, start_server=False) as values:
                self.assertEqual(list(values), [])
                self.assertEqual(values.result, "answered")
            self.assertEqual(any_client.methods("https://example.com/", browser="work",
                                                port=port, start_server=False), "answered")
            thread.join(5)
            self.assertTrue(received[0].endswith(b'{"page":"https://example.com/","method":"echo","params":{},'
                                                 b'"browser":"work-2"}'), received)
            self.assertTrue(received[1].endswith(b'"params":{},"timeout":1000,"browser":"b.x_y"}'), received)
            self.assertTrue(received[2].endswith(b'\r\n\r\n{"page":"https://example.com/","browser":"work"}'), received)


class MethodsTest(BrowserTestCase):
    """methods(): the page's methods, as the TypeScript methods() and `any methods` list them."""

    def test_lists_the_pages_methods_with_the_description_and_input_schema_a_userscript_gave(self):
        page = PAGES.url("/listed")
        listed = any_client.methods(page, port=self.port)
        self.assertIsInstance(listed, list)
        names = [method["name"] for method in listed]
        for name in ("echo", "add", "sleep", "count", "throwTypeError"):
            self.assertIn(name, names)
        for hidden in ("hiddenMethod", "notAFunction"):  # not enumerable, not a function
            self.assertNotIn(hidden, names)
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(next(method for method in listed if method["name"] == "add"), {
            "name": "add",
            "source": "userscript",
            "description": "Adds two numbers.",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]},
        })
        self.assertEqual(next(method for method in listed if method["name"] == "echo"), {"name": "echo", "source": "userscript"})
        # The same tab a call uses: what it lists can be called, and a wrong name lists the same.
        self.assertEqual(any_client.call(page, "add", {"a": 1, "b": 2}, port=self.port), 3)
        with self.assertRaises(AnyError) as caught:
            any_client.call(page, "noSuchMethod", port=self.port)
        self.assertEqual(sorted(caught.exception.methods), sorted(names))
        self.assertEqual(any_client.methods(page, timeout=5, port=self.port), listed)

    def test_a_page_without_methods_gives_an_empty_list(self):
        # The test userscript matches 127.0.0.1 only: localhost is the same server, with no methods.
        self.assertEqual(any_client.methods(f"http://localhost:{PAGES.port}/unmatched", port=self.port), [])


class MethodsOnFirefoxTest(MethodsTest):
    browser_kind = "firefox"


class MethodsRequestTest(unittest.TestCase):
    """methods(): what it asks a server for, and how it fails where no page answers."""

    def test_without_a_browser_it_is_NO_BROWSER_and_without_a_server_NO_SERVER(self):
        port = free_port()
        with self.assertRaises(AnyError) as caught:
            any_client.methods(PAGES.url("/lonely"), port=port, start_server=False)
        self.assertEqual((caught.exception.code, caught.exception.name), ("NO_SERVER", "NoServerError"))
        self.assertEqual(server_pids(port), [])
        try:
            with self.assertRaises(AnyError) as caught:  # a server starts, but no browser comes
                any_client.methods(PAGES.url("/lonely"), port=port, timeout=0.5)
            self.assertEqual((caught.exception.code, caught.exception.name), ("NO_BROWSER", "NoBrowserError"))
        finally:
            self.assertTrue(stop_and_wait(port))

    def test_bad_arguments_raise_BadRequestError_before_any_request(self):
        bad = [
            dict(page="example.com"), dict(page="ftp://example.com/"), dict(page=None),
            dict(page="javascript:alert(1)"), dict(page="https://example.com/", timeout=0),
            dict(page="https://example.com/", timeout="5"), dict(page="https://example.com/", timeout=True),
            dict(page="https://example.com/", timeout=3601),
            dict(page="https://example.com/", server_command="npx any"),
            dict(page="https://example.com/", browser="two words"),
            dict(page="https://example.com/", browser=2),
        ]
        with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts nothing
            port = listener.getsockname()[1]
            for kwargs in bad:
                with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                    with self.assertRaises(AnyError) as caught:
                        any_client.methods(**kwargs, port=port)
                    self.assertEqual((caught.exception.code, caught.exception.name), ("BAD_REQUEST", "BadRequestError"))
                    self.assertTrue(caught.exception.message.startswith("Bad request: "), caught.exception.message)
            for port_value in ("8765", 0, 65536, True):
                with self.subTest(port=repr(port_value)):
                    with self.assertRaises(AnyError) as caught:
                        any_client.methods("https://example.com/", port=port_value)
                    self.assertEqual(caught.exception.code, "BAD_REQUEST")
            with self.assertRaises(TypeError):  # the options are keyword-only, as call()'s
                any_client.methods("https://example.com/", 5)
            listener.setblocking(False)
            with self.assertRaises(BlockingIOError):
                listener.accept()  # no connection was ever attempted

    def test_posts_the_page_and_the_timeout_in_whole_milliseconds_to_methods(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            received, thread = answer_requests(listener, b'{"v":1,"id":"1","result":[{"name":"x"}]}', count=2)
            self.assertEqual(any_client.methods("https://example.com/", timeout=1.5, port=port, start_server=False),
                             [{"name": "x"}])
            self.assertEqual(any_client.methods("https://example.com/", port=port, start_server=False), [{"name": "x"}])
            thread.join(5)
            self.assertTrue(received[0].startswith(b"POST /methods HTTP/1.1\r\n"), received)
            self.assertIn(f"\r\nHost: 127.0.0.1:{port}\r\n".encode(), received[0])
            self.assertTrue(received[0].endswith(b'\r\n\r\n{"page":"https://example.com/","timeout":1500}'), received)
            self.assertTrue(received[1].endswith(b'\r\n\r\n{"page":"https://example.com/"}'), received)


class NamedBrowsersTest(unittest.TestCase):
    """Two managed browsers, "a" (Chromium) and "b" (Firefox ESR), named with `any launch --name`,
    on a server of their own; only b has tests/fixtures/userscripts-b, whose whoAmI answers "b".
    `browser=` picks where a call runs, whichever engine that is."""

    BROWSER_WAIT = 1.0  # seconds: the server's --browser-wait, short so an unknown name fails at once

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.browsers = []
        cls.addClassCleanup(cls._nothing_left)  # runs last
        cls.server = subprocess.Popen(
            [NODE, CLI, "serve", "--port", str(cls.port), "--quiet", "--browser-wait", str(int(cls.BROWSER_WAIT * 1000))],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.addClassCleanup(cls._stop_server)
        ready = cls.server.stdout.readline()
        ready_at = time.monotonic()
        if not ready.startswith(any_client._READY_LINES[0]):
            raise RuntimeError(f"any serve did not start: {ready!r}")
        for name, userscripts, engine in (("a", TEST_USERSCRIPTS, None), ("b", USERSCRIPTS_B, "firefox")):
            browser = ManagedBrowser(cls.port, userscripts, name=name, browser=engine)
            cls.browsers.append(browser)
            cls.addClassCleanup(browser.close)
        # Within its first browser wait, a server waits for a named browser that may still connect.
        time.sleep(max(0.0, ready_at + cls.BROWSER_WAIT - time.monotonic()))

    @classmethod
    def _stop_server(cls):
        any_client.stop_server(cls.port)
        cls.server.wait(10)
        cls.server.stdout.close()

    @classmethod
    def _nothing_left(cls):
        def left():
            return [browser.remains() for browser in cls.browsers if browser.remains()] + server_pids(cls.port)

        if not wait_until(lambda: not left(), 10):
            raise AssertionError(f"left behind: {left()}")

    def test_the_server_knows_both_by_name(self):
        browsers = any_client.health(self.port)["browsers"]
        self.assertEqual([(browser["name"], browser["kind"], browser["brand"]) for browser in browsers],
                         [("a", "managed", "Chromium"), ("b", "managed", "Firefox")])

    def test_a_call_naming_b_runs_in_b_and_one_naming_a_in_a(self):
        page = PAGES.url("/named")
        self.assertEqual(any_client.call(page, "whoAmI", browser="b", port=self.port), "b")
        with any_client.stream(page, "whoAmI", browser="b", port=self.port) as values:
            self.assertEqual(list(values), [])
            self.assertEqual(values.result, "b")
        # b now holds a tab for the page; naming a still sends the call to a, which has no whoAmI.
        with self.assertRaises(AnyError) as caught:
            any_client.call(page, "whoAmI", browser="a", port=self.port)
        self.assertEqual(caught.exception.code, "METHOD_NOT_FOUND")
        self.assertIn("echo", caught.exception.methods)
        self.assertEqual(any_client.call(page, "add", {"a": 1, "b": 2}, browser="a", port=self.port), 3)

    def test_methods_naming_b_lists_bs_methods(self):
        page = PAGES.url("/named-methods")
        self.assertEqual(any_client.methods(page, browser="b", port=self.port), [{"name": "whoAmI", "source": "userscript"}])
        self.assertIn("echo", [method["name"] for method in any_client.methods(page, browser="a", port=self.port)])

    def test_an_unknown_name_fails_at_once_with_NO_BROWSER_listing_the_connected_ones(self):
        for attempt in (lambda: any_client.call(PAGES.url("/named"), "echo", browser="nope", port=self.port),
                        lambda: any_client.methods(PAGES.url("/named"), browser="nope", port=self.port)):
            started = time.monotonic()
            with self.assertRaises(AnyError) as caught:
                attempt()
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertEqual((caught.exception.code, caught.exception.name), ("NO_BROWSER", "NoBrowserError"))
            self.assertRegex(caught.exception.message, r'No browser named "nope".*Connected: "a" \(managed .*\), "b" \(managed ')


class ProgressTest(BrowserTestCase):
    """Progress values from a page method (tests/fixtures/userscripts/progress.user.js): call()
    with on_progress, and stream()."""

    def test_call_with_on_progress_hears_every_value_in_order_before_the_result(self):
        heard = []
        result = any_client.call(PAGES.url("/progress/order"), "countUp", {"n": 300}, port=self.port,
                                 on_progress=heard.append)
        self.assertEqual(result, {"counted": 300})
        self.assertEqual(heard, list(range(1, 301)))

    def test_stream_yields_the_values_as_they_come_then_has_the_result(self):
        with any_client.stream(PAGES.url("/progress/stream"), "countUp", {"n": 500}, port=self.port) as values:
            self.assertIsInstance(values, any_client.Stream)
            self.assertEqual(list(values), list(range(1, 501)))
            self.assertEqual(values.result, {"counted": 500})
        # Large values, spread out in time, travel too.
        values = any_client.stream(PAGES.url("/progress/large"), "countUp",
                                   {"n": 5, "delay": 20, "size": 200_000}, port=self.port)
        parts = list(values)
        self.assertEqual([part["i"] for part in parts], [1, 2, 3, 4, 5])
        self.assertEqual(parts[0]["pad"], "x" * 200_000)
        self.assertEqual(values.result, {"counted": 5})

    def test_an_async_generator_method_yields_the_values_and_returns_the_result(self):
        values = any_client.stream(PAGES.url("/progress/generator"), "countGenerator", {"n": 4}, port=self.port)
        self.assertEqual(list(values), ["part 1", "part 2", "part 3", "part 4"])
        self.assertEqual(values.result, "all parts")
        heard = []
        self.assertEqual(any_client.call(PAGES.url("/progress/generator"), "countGenerator", {"n": 2},
                                         port=self.port, on_progress=heard.append), "all parts")
        self.assertEqual(heard, ["part 1", "part 2"])

    def test_progress_then_a_throw_gives_the_values_then_the_pages_own_error_with_the_engines_stack(self):
        parts = []
        values = any_client.stream(PAGES.url("/progress/throw"), "progressThenThrow", {"n": 2}, port=self.port)
        with self.assertRaises(AnyError) as caught:
            for part in values:
                parts.append(part)
        self.assertEqual(parts, [1, 2])
        error = caught.exception
        self.assertEqual((error.name, error.message, error.code), ("RangeError", "after the progress", "METHOD_THREW"))
        self.assert_the_engines_stack(error.stack, "RangeError: after the progress", "progressThenThrow", "progress.user.js")
        with self.assertRaises(AnyError) as again:
            values.result
        self.assertIs(again.exception, error)
        self.assertEqual(list(values), [])  # the iteration has ended

        heard = []
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/progress/throw"), "progressThenThrow", {"n": 3}, port=self.port,
                            on_progress=heard.append)
        self.assertEqual((caught.exception.name, caught.exception.code), ("RangeError", "METHOD_THREW"))
        self.assertEqual(heard, [1, 2, 3])

    def assert_the_page_saw_the_abort(self, page):
        seen = wait_until(lambda: any_client.call(page, "lastStream", port=self.port)["aborted"], 5)
        self.assertTrue(seen, "the page did not see the abort")

    def test_stopping_the_iteration_early_cancels_the_call_in_the_page(self):
        page = PAGES.url("/progress/cancel")
        heard = []
        with any_client.stream(page, "progressUntilAbort", port=self.port) as values:
            for value in values:
                heard.append(value)
                if len(heard) == 5:
                    break
        self.assert_the_page_saw_the_abort(page)
        self.assertEqual(heard, [1, 2, 3, 4, 5])
        with self.assertRaises(AnyError) as caught:
            values.result
        self.assertEqual((caught.exception.code, caught.exception.name), ("CANCELLED", "CancelledError"))
        self.assertEqual(any_client.health(self.port)["callsInFlight"], 0)

    def test_a_stream_dropped_mid_iteration_cancels_the_call(self):
        page = PAGES.url("/progress/dropped")
        for value in any_client.stream(page, "progressUntilAbort", port=self.port):
            if value == 3:
                break  # nothing refers to the stream any more: it is closed
        self.assert_the_page_saw_the_abort(page)

    def test_an_on_progress_that_raises_cancels_the_call_and_its_exception_propagates(self):
        page = PAGES.url("/progress/raises")

        def on_progress(value):
            if value == 4:
                raise KeyError("enough")

        with self.assertRaises(KeyError):
            any_client.call(page, "progressUntilAbort", port=self.port, on_progress=on_progress)
        self.assert_the_page_saw_the_abort(page)

    def test_a_timeout_mid_stream_ends_the_call_with_TIMEOUT_after_the_values_that_came(self):
        heard = []
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/progress/timeout"), "progressUntilAbort", port=self.port, timeout=0.5,
                            on_progress=heard.append)
        self.assertEqual((caught.exception.code, caught.exception.name), ("TIMEOUT", "TimeoutError"))
        self.assertGreaterEqual(len(heard), 3)

    def test_the_connection_is_kept_after_a_stream_read_to_its_end_and_calls_meanwhile_use_another(self):
        page = PAGES.url("/progress/kept")
        self.assertEqual(any_client.call(page, "add", {"a": 1, "b": 2}, port=self.port), 3)
        kept = any_client._connections.by_port[self.port].sock
        values = any_client.stream(page, "countUp", {"n": 3}, port=self.port)
        self.assertEqual(list(values), [1, 2, 3])
        self.assertEqual(values.result, {"counted": 3})
        # The stream went out on this thread's kept connection, and gave it back once read to its end.
        self.assertIs(any_client._connections.by_port[self.port].sock, kept)
        self.assertEqual(any_client.call(page, "add", {"a": 2, "b": 2}, port=self.port), 4)
        self.assertIs(any_client._connections.by_port[self.port].sock, kept)

        # Plain calls from the same thread while a stream is open use a connection of their own.
        inner = []
        values = any_client.stream(page, "countUp", {"n": 3, "delay": 10}, port=self.port)
        for value in values:
            inner.append(any_client.call(page, "add", {"a": value, "b": 10}, port=self.port))
        self.assertEqual(inner, [11, 12, 13])
        self.assertEqual(values.result, {"counted": 3})
        self.assertEqual(any_client.call(page, "add", {"a": 3, "b": 3}, port=self.port), 6)

    def test_a_plain_call_of_a_method_that_sends_progress_gives_only_its_result(self):
        self.assertEqual(any_client.call(PAGES.url("/progress/plain"), "countUp", {"n": 50}, port=self.port),
                         {"counted": 50})


class ProgressOnFirefoxTest(ProgressTest):
    browser_kind = "firefox"


class StreamRequestTest(unittest.TestCase):
    """call(on_progress=…) and stream(): what they ask a server for, and how they fail where no
    page answers."""

    def test_a_plain_call_asks_for_no_stream_and_a_stream_takes_a_plain_answer(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            received, thread = answer_requests(listener, b'{"v":1,"id":"1","result":"answered"}', count=2)
            self.assertEqual(any_client.call("https://example.com/", "echo", port=port, start_server=False), "answered")
            # A server that answers with one JSON body: the stream has no values, and the result.
            values = any_client.stream("https://example.com/", "echo", port=port, start_server=False)
            self.assertEqual(list(values), [])
            self.assertEqual(values.result, "answered")
            thread.join(5)
        self.assertNotIn(b"\r\nAccept:", received[0])
        self.assertIn(b"\r\nAccept: application/x-ndjson\r\n", received[1])
        self.assertTrue(received[1].endswith(b'{"page":"https://example.com/","method":"echo","params":{}}'))

    def test_a_stream_cut_before_its_last_line_is_DISCONNECTED(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]

            def answer():
                connection, _ = listener.accept()
                with connection:
                    read_request(connection)
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                                       b"Connection: close\r\n\r\n"
                                       b'{"v":1,"id":"1","progress":"first"}\n{"v":1,"id":"1","progr')

            thread = threading.Thread(target=answer, daemon=True)
            thread.start()
            values = any_client.stream("https://example.com/", "echo", port=port, start_server=False)
            self.assertEqual(next(values), "first")
            with self.assertRaises(AnyError) as caught:
                next(values)
            thread.join(5)
        self.assertEqual((caught.exception.code, caught.exception.name), ("DISCONNECTED", "DisconnectedError"))

    def test_bad_arguments_raise_at_once_and_no_server_on_iteration(self):
        with self.assertRaises(AnyError) as caught:
            any_client.stream("not a url", "countUp", port=PORT)
        self.assertEqual(caught.exception.code, "BAD_REQUEST")
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/x"), "countUp", port=PORT, on_progress="print")
        self.assertEqual(caught.exception.code, "BAD_REQUEST")
        self.assertIn("on_progress", caught.exception.message)
        unused = free_port()
        values = any_client.stream(PAGES.url("/x"), "countUp", port=unused, start_server=False)
        with self.assertRaises(AnyError) as caught:
            list(values)
        self.assertEqual(caught.exception.code, "NO_SERVER")
        self.assertEqual(server_pids(unused), [])


class ServerLifecycleTest(unittest.TestCase):
    def test_health_and_stop_server_where_nothing_listens(self):
        unused = free_port()
        self.assertIsNone(any_client.health(unused))
        self.assertIs(any_client.stop_server(unused), False)
        self.assertEqual(server_pids(unused), [])

    def test_methods_starts_a_server_when_none_runs(self):
        any_client.call(PAGES.url("/methods-start"), "echo", port=PORT)
        before = any_client.health(PORT)["pid"]
        self.assertTrue(stop_and_wait(PORT), f"the server did not stop: {server_pids(PORT)}")
        self.assertIn("echo", [method["name"] for method in any_client.methods(PAGES.url("/methods-start"), port=PORT)])
        self.assertNotEqual(any_client.health(PORT)["pid"], before)

    def test_first_calls_from_threads_at_once_start_exactly_one_server(self):
        any_client.call(PAGES.url("/race"), "echo", port=PORT)
        before = any_client.health(PORT)["pid"]
        self.assertTrue(stop_and_wait(PORT), f"the server did not stop: {server_pids(PORT)}")

        count = 6
        barrier = threading.Barrier(count)
        results, errors = {}, []

        def first_call(i):
            barrier.wait()
            try:
                results[i] = any_client.call(PAGES.url("/race"), "add", {"a": i, "b": 100}, timeout=20, port=PORT)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=first_call, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(results, {i: i + 100 for i in range(count)})
        health = any_client.health(PORT)
        self.assertNotEqual(health["pid"], before)  # a new server, started by the calls
        # Servers that lost the race say so and exit: one remains, and it is the one answering.
        wait_until(lambda: len(server_pids(PORT)) == 1, 5)
        self.assertEqual(server_pids(PORT), [health["pid"]])

    def test_first_calls_from_processes_at_once_start_exactly_one_server(self):
        page = PAGES.url("/race-processes")
        any_client.call(page, "echo", port=PORT)
        before = any_client.health(PORT)["pid"]
        self.assertTrue(stop_and_wait(PORT), f"the server did not stop: {server_pids(PORT)}")

        code = (
            "import json, sys\n"
            f"sys.path.insert(0, {PYTHON_DIR!r})\n"
            "import any_client\n"
            "print('ready', flush=True)\n"
            "sys.stdin.readline()\n"
            f"result = any_client.call({page!r}, 'add', {{'a': int(sys.argv[1]), 'b': 1}}, port={PORT}, timeout=20)\n"
            "print(json.dumps(result))\n"
        )
        callers = [subprocess.Popen([sys.executable, "-c", code, str(i)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for i in range(3)]
        for caller in callers:
            self.assertEqual(caller.stdout.readline(), "ready\n")
        for caller in callers:  # go, all at once
            caller.stdin.write("go\n")
            caller.stdin.flush()
        for i, caller in enumerate(callers):
            out, err = caller.communicate(timeout=60)
            self.assertEqual(caller.returncode, 0, err)
            self.assertEqual(json.loads(out), i + 1)
        health = any_client.health(PORT)
        self.assertNotEqual(health["pid"], before)
        wait_until(lambda: len(server_pids(PORT)) == 1, 5)
        self.assertEqual(server_pids(PORT), [health["pid"]])

    def test_a_server_that_dies_mid_call_gives_DISCONNECTED_and_the_next_call_starts_another(self):
        page = PAGES.url("/dies")
        any_client.call(page, "echo", port=PORT)
        pid = any_client.health(PORT)["pid"]
        outcome = {}

        def long_call():
            try:
                outcome["result"] = any_client.call(page, "sleep", {"ms": 5000}, timeout=10, port=PORT)
            except AnyError as error:
                outcome["error"] = error
            outcome["at"] = time.monotonic()

        thread = threading.Thread(target=long_call)
        thread.start()
        self.assertTrue(wait_until(lambda: (any_client.health(PORT) or {}).get("callsInFlight") == 1, 5))
        os.kill(pid, signal.SIGKILL)  # the server this test module's calls started
        killed_at = time.monotonic()
        thread.join(15)
        self.assertNotIn("result", outcome)
        self.assertEqual((outcome["error"].code, outcome["error"].name), ("DISCONNECTED", "DisconnectedError"))
        self.assertLess(outcome["at"] - killed_at, 2)
        self.assertEqual(any_client.call(page, "add", {"a": 1, "b": 1}, port=PORT), 2)
        self.assertNotEqual(any_client.health(PORT)["pid"], pid)

    def test_a_server_that_dies_mid_call_on_a_kept_connection_runs_the_call_once(self):
        # The call goes out on the connection this thread already used: were it sent again after
        # the server died, the method would run twice.
        page = PAGES.url("/dies-kept")
        any_client.call(page, "echo", port=PORT)
        pid = any_client.health(PORT)["pid"]
        killer = threading.Timer(0.5, lambda: os.kill(pid, signal.SIGKILL))
        killer.start()
        with self.assertRaises(AnyError) as caught:
            any_client.call(page, "slowCount", {"ms": 2000}, timeout=10, port=PORT)
        killer.join()
        self.assertEqual(caught.exception.code, "DISCONNECTED")
        time.sleep(2.5)  # the method finishes in the page
        self.assertEqual(any_client.call(page, "slowRuns", port=PORT), 1)

    def test_stop_server_stops_it(self):
        any_client.call(PAGES.url("/stop"), "echo", port=PORT)
        pid = any_client.health(PORT)["pid"]
        self.assertIs(any_client.stop_server(PORT), True)
        self.assertTrue(wait_until(lambda: pid not in server_pids(PORT), 10))
        self.assertIsNone(any_client.health(PORT))
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/stop"), "echo", start_server=False, port=PORT)
        self.assertEqual((caught.exception.code, caught.exception.name), ("NO_SERVER", "NoServerError"))
        self.assertEqual(server_pids(PORT), [])  # start_server=False started nothing
        self.assertEqual(any_client.call(PAGES.url("/stop"), "echo", {"back": True}, port=PORT), {"back": True})

    def test_server_command_names_the_command_that_starts_the_server(self):
        port = free_port()
        try:
            with self.assertRaises(AnyError) as caught:  # no browser on this port
                any_client.call(PAGES.url("/cmd"), "echo", port=port, timeout=0.5,
                                server_command=[NODE, "--no-warnings", CLI])
            self.assertEqual(caught.exception.code, "NO_BROWSER")
            started = pids(f"no-warnings .*serve --port {port} --auto$")
            self.assertEqual(len(started), 1)
            self.assertEqual(any_client.health(port)["pid"], started[0])
        finally:
            self.assertTrue(stop_and_wait(port))

    def test_a_server_that_cannot_start_is_NO_SERVER_with_its_stderr(self):
        port = free_port()
        failing = [sys.executable, "-c", "import sys; sys.stderr.write('cannot start: test'); sys.exit(3)"]
        started = time.monotonic()
        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/x"), "echo", port=port, server_command=failing)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual((caught.exception.code, caught.exception.name), ("NO_SERVER", "NoServerError"))
        self.assertIn("cannot start: test", caught.exception.message)
        self.assertIn("code 3", caught.exception.message)

        with self.assertRaises(AnyError) as caught:
            any_client.call(PAGES.url("/x"), "echo", port=port, server_command=["/nonexistent/any"])
        self.assertEqual(caught.exception.code, "NO_SERVER")
        self.assertIn("/nonexistent/any", caught.exception.message)

    def test_without_node_on_the_path_it_is_NO_SERVER(self):
        port = free_port()
        saved = os.environ.get("PATH")
        os.environ["PATH"] = os.devnull  # a directory with no node in it
        try:
            with self.assertRaises(AnyError) as caught:
                any_client.call(PAGES.url("/x"), "echo", port=port)
        finally:
            os.environ["PATH"] = saved
        self.assertEqual(caught.exception.code, "NO_SERVER")
        self.assertIn("Node.js", caught.exception.message)
        self.assertEqual(server_pids(port), [])

    def test_another_program_on_the_port_is_NO_SERVER_naming_the_port(self):
        foreign_json = HttpServer(_JsonHandler)
        try:
            for port in (PAGES.port, foreign_json.port):  # HTML answers, and JSON that is not any's
                with self.subTest(port=port):
                    with self.assertRaises(AnyError) as caught:
                        any_client.call(PAGES.url("/x"), "echo", port=port)
                    self.assertEqual((caught.exception.code, caught.exception.name), ("NO_SERVER", "NoServerError"))
                    self.assertIn(f"Port {port} is used by another program", caught.exception.message)
                    self.assertIn("another port", caught.exception.message)
                    self.assertIsNone(any_client.health(port))
                    self.assertEqual(server_pids(port), [])
        finally:
            foreign_json.close()


class ScriptsTest(unittest.TestCase):
    def test_imports_and_calls_under_python3_S(self):
        code = (
            "import json, sys\n"
            f"sys.path.insert(0, {PYTHON_DIR!r})\n"
            "import any_client\n"
            f"result = any_client.call({PAGES.url('/dash-s')!r}, 'add', {{'a': 20, 'b': 22}}, port={PORT})\n"
            "print(json.dumps({'site': 'site' in sys.modules, 'result': result}))\n"
        )
        done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout), {"site": False, "result": 42})


class ExampleScriptTest(unittest.TestCase):
    """examples/run.py against a browser with the example userscripts, as its docstring says."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.browser = ManagedBrowser(cls.port, EXAMPLE_USERSCRIPTS)

    @classmethod
    def tearDownClass(cls):
        close_browser_and_server(cls.port, cls.browser)

    def test_run_py_prints_page_info_as_json(self):
        page = PAGES.url("/example")
        environment = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
                           ALL_PROXY="http://127.0.0.1:9", NO_PROXY="")
        done = subprocess.run([sys.executable, RUN_PY, page, str(self.port)], capture_output=True,
                              text=True, timeout=60, env=environment)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout), {"title": "Test page /example", "url": page, "readyState": "complete"})

    def test_run_py_reports_a_failure_on_stderr(self):
        done = subprocess.run([sys.executable, RUN_PY, "not a url", str(self.port)], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, "")
        self.assertRegex(done.stderr, r"^BadRequestError: Bad call: page must be .*\(BAD_REQUEST\)\n$")


if __name__ == "__main__":
    unittest.main()
