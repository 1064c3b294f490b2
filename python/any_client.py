"""Call a named method inside a web page of a real browser, from Python.

``any`` runs ``globalThis.__any__[method](params)`` in a tab of a real browser -- your own
logged-in Chrome, or a headless Chromium that ``npx any launch`` starts -- and hands the result
back. The methods are yours: small functions that your userscripts put on ``globalThis.__any__``.
This module is its Python client: one file, standard library only, Python 3.9 or later.

Quick start
-----------

Start a browser with the any extension and your userscripts (once)::

    npx any launch --userscripts ./my-userscripts/      # add --headless without a display

Then call::

    >>> import any_client
    >>> any_client.call("https://example.com/", "headline")
    'Example Domain'
    >>> any_client.call("https://example.com/", "pageInfo", {"delay": 100}, timeout=5)
    {'title': 'Example Domain', 'url': 'https://example.com/', 'readyState': 'complete'}

The result is the method's return value, decoded from JSON (dict, list, str, int, float, bool
or None). The first call starts the local any server if none is running; it keeps running for
the next calls, and exits by itself once it has had no browser connected and no calls for 15
minutes.

A method that sends progress values while it runs (``progress(value)``, or an async generator)
can be read as it goes, with ``on_progress`` or :func:`stream`::

    >>> any_client.call(url, "countUp", {"n": 3}, on_progress=print)
    1
    2
    3
    'done'
    >>> with any_client.stream(url, "countUp", {"n": 3}) as values:
    ...     parts = list(values)       # [1, 2, 3], as they come
    ...     result = values.result     # 'done'

To see what a page offers, list its methods, each with where it comes from and the description
its userscript gave it::

    >>> any_client.methods("https://example.com/")      # with examples/userscripts
    [{'name': 'pageInfo', 'source': 'userscript', 'description': 'Waits `delay` ms, then returns
      the page title, URL and ready state.', 'inputSchema': {'type': 'object', 'properties': {...}}}]

A page's own WebMCP tools (``document.modelContext.registerTool``) are methods too, named
``webmcp:<tool name>``, in a browser started with ``npx any launch --webmcp``, or one where the
WebMCP mirror userscript (``npx any webmcp``) runs with WebMCP turned on::

    >>> any_client.call(url, "webmcp:add", {"a": 2, "b": 3})
    {'sum': 5}

Several browsers
----------------

Several browsers may be connected to one server -- your everyday Chrome, managed ones started
with ``npx any launch --name <name>``. ``npx any status`` lists them by name. A call runs in the
browser it names with ``browser=``; without one, in the browser that already holds a tab for the
page, else in the one that connected first::

    >>> any_client.call("https://example.com/", "headline", browser="work")

Installation
------------

The module ships with the any package, in its ``python/`` folder: put that folder on
``sys.path`` and ``import any_client``. It needs nothing else, and also runs under
``python3 -S``. A copy of the file kept elsewhere works too, but cannot find the any command
line next to it to start the server: pass ``server_command=["npx", "any"]`` (from a project
where any is installed), or start the server yourself with ``npx any serve``.

Errors
------

Every failure raises :class:`AnyError`. Its ``code`` says where the call failed, ``name`` and
``message`` say what happened, and ``str(error)`` is ``"<name>: <message>"``::

    try:
        any_client.call("https://example.com/", "ask", {"prompt": "Hi"})
    except any_client.AnyError as error:
        if error.code == "METHOD_THREW":       # the page method threw: its own error
            print(error.name, error.message)   # e.g. TypeError x is not a function
            print(error.stack)                 # the page's stack trace
        elif error.code == "METHOD_NOT_FOUND":
            print("try one of", error.methods)
        else:
            raise

The codes are those of the any server (see its README): ``BAD_REQUEST``, ``NO_SERVER``,
``NO_BROWSER``, ``TAB_FAILED``, ``METHOD_NOT_FOUND``, ``METHOD_THREW``, ``BAD_RESULT``,
``TIMEOUT``, ``TAB_CLOSED``, ``DISCONNECTED``, ``CANCELLED``, ``FORBIDDEN``, ``NOT_FOUND``,
``TOO_LARGE``, ``INTERNAL``.

Bad arguments (a page that is not an absolute http/https URL, an empty method name, params that
are not a JSON-serialisable dict, a timeout that is not a positive number of seconds, a
malformed browser name, a bad port) raise ``AnyError`` with code ``BAD_REQUEST`` and name ``BadRequestError`` -- the same error
the server gives for a malformed call -- before any request is made.

Notes
-----

* Timeouts are in **seconds** (floats welcome), as everywhere in Python. The server's default
  is 30 s, at most one hour. They are sent to the server as whole milliseconds.
* Only ``127.0.0.1`` is contacted, directly: ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and
  ``NO_PROXY`` are never read, and no other environment variable either.
* The server is started as ``node <this folder>/../dist/cli.js serve --port <port> --auto``,
  detached from your program. Pass ``server_command=["npx", "any"]`` (or any other command
  list) to start it another way; ``serve --port <port> --auto`` is appended to it.
* The module is thread-safe: concurrent calls are fine, and calls that find no server at the same
  moment end up sharing one.
"""

import atexit
import http.client
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from urllib.parse import urlsplit

__all__ = ["call", "stream", "Stream", "methods", "health", "stop_server", "AnyError", "DEFAULT_PORT"]

#: The port of the any server, unless you choose another one everywhere.
DEFAULT_PORT = 8765

# The constants below restate the any server's own (src/protocol); tests/python checks each one
# against the build's dist/protocol.json, so that the two cannot drift apart.

# The ``v`` of every message.
_PROTOCOL_VERSION = 1

# Seconds. The server's own default call timeout, and its maximum.
_DEFAULT_TIMEOUT = 30.0
_MAX_TIMEOUT = 3600.0
# If the server itself stops answering, give up this long after the call's own deadline.
_GRACE = 5.0
# /health and /shutdown answer at once; a port that stays silent longer is no any server.
_PROBE_TIMEOUT = 2.0
# How long a server started on demand may take to print its ready line.
_START_TIMEOUT = 15.0
_READY_LINES = ("any server listening on", "any server already running on")
_CLI = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dist", "cli.js"))

if os.name == "nt":
    _DETACHED = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
else:
    _DETACHED = {"start_new_session": True}

# Names of the errors this client raises by itself (the server's errors come with theirs).
_NAMES = {
    "BAD_REQUEST": "BadRequestError",
    "NO_SERVER": "NoServerError",
    "TIMEOUT": "TimeoutError",
    "DISCONNECTED": "DisconnectedError",
    "CANCELLED": "CancelledError",
    "INTERNAL": "InternalError",
}


class AnyError(Exception):
    """A call failed. Raised by :func:`call` for every failure, with the server's structured error.

    Attributes:

    * ``name`` -- the error's name: ``"TypeError"`` (or whatever the page threw) when the method
      threw, else the code's name, such as ``"TimeoutError"`` or ``"MethodNotFoundError"``.
    * ``message`` -- what happened, and usually what to do about it.
    * ``code`` -- where it failed, one of the codes listed in the module docs, such as
      ``"METHOD_THREW"``, ``"TIMEOUT"`` or ``"NO_BROWSER"``. Test this one in ``except`` blocks.
    * ``stack`` -- the page's JavaScript stack trace when the method threw, else ``None``.
    * ``methods`` -- for ``METHOD_NOT_FOUND``, the names of the methods the page does have;
      else ``None``.

    ``str(error)`` is ``"<name>: <message>"``, as JavaScript prints errors.
    """

    def __init__(self, name, message, code, stack=None, methods=None):
        super().__init__(name, message, code, stack, methods)
        self.name = name
        self.message = message
        self.code = code
        self.stack = stack
        self.methods = methods

    def __str__(self):
        return f"{self.name}: {self.message}"

    def __repr__(self):
        return f"AnyError(name={self.name!r}, message={self.message!r}, code={self.code!r})"


def call(page, method, params=None, *, timeout=None, browser=None, port=DEFAULT_PORT,
         start_server=True, server_command=None, on_progress=None):
    """Run ``globalThis.__any__[method](params)`` in the browser tab at ``page``; return its result.

    ::

        >>> # with a userscript that defines  __any__.add = ({ a, b }) => a + b
        >>> any_client.call("https://example.com/", "add", {"a": 2, "b": 3})
        5

    Arguments:

    * ``page`` -- the absolute ``http:`` or ``https:`` URL to run in. An open tab at that URL (or
      below it, when ``page`` has no query) is reused; otherwise the browser opens one.
    * ``method`` -- the name of a function on ``globalThis.__any__`` in that page.
    * ``params`` -- a dict, passed to the method as its single (JSON) argument. ``None`` sends ``{}``.
    * ``timeout`` -- seconds (a float is fine) the method may take, counted by the server from
      when it receives the call; ``None`` means the server's default of 30 s. At most 3600.
      Sent as whole milliseconds. The client itself gives up 5 s after that, so nothing hangs
      even if the server stops answering.
    * ``browser`` -- the name of the connected browser to run in, as ``npx any status`` lists
      them (``"chrome"``, ``"work"``: the ``--name`` of an ``npx any launch``). ``None`` (the
      default) lets the server choose: the browser that already holds a tab for the page, else
      the one that connected first. A name no connected browser has raises ``AnyError`` with
      code ``NO_BROWSER``, whose message lists the connected ones -- at once, except while
      browsers may still be connecting to a server that has just started, or that browser is
      reconnecting after it dropped, when the call waits for it.
    * ``port`` -- the any server's port (8765 unless you chose another everywhere).
    * ``start_server`` -- when nothing listens on ``port``, start an any server and call again
      (the default). With ``False``, raise ``AnyError`` with code ``NO_SERVER`` instead.
    * ``server_command`` -- how to start that server, as a list of strings such as
      ``["npx", "any"]``; ``serve --port <port> --auto`` is appended. By default it is
      ``node <folder of this file>/../dist/cli.js``.
    * ``on_progress`` -- a callable, given each progress value the method sends (with
      ``progress(value)``, or each ``yield`` of an async generator method), decoded from JSON,
      in order, in the calling thread, before ``call`` returns. ``None`` (the default) asks for
      no progress. Should it raise, the call is cancelled (the page's ``signal`` aborts) and its
      exception propagates. To iterate over the values instead, use :func:`stream`.

    Returns the method's return value, decoded from JSON; a method that returns nothing gives
    ``None``.

    Raises :class:`AnyError` on any failure. Bad arguments raise it with code ``BAD_REQUEST``
    (name ``BadRequestError``) before any request is sent. A method that throws raises it with
    code ``METHOD_THREW`` and the page error's own ``name``, ``message`` and ``stack``.
    """
    body = _call_body(page, method, params, timeout, browser)
    _check_port(port)
    command = _checked_command(server_command)
    if on_progress is None:
        return _send("/call", body, timeout, port, start_server, command)
    if not callable(on_progress):
        raise _bad(f"on_progress must be a callable taking one value, or None (got {on_progress!r})")
    with Stream(port, body, timeout, start_server, command) as values:
        for value in values:
            on_progress(value)
        return values.result


def stream(page, method, params=None, *, timeout=None, browser=None, port=DEFAULT_PORT,
           start_server=True, server_command=None):
    """Call like :func:`call`, and iterate over the progress values the method sends as they come.

    ::

        >>> # with a userscript that defines
        >>> #   __any__.countUp = async ({ n }, { progress }) => {
        >>> #     for (let i = 1; i <= n; i++) progress(i);
        >>> #     return 'done';
        >>> #   };
        >>> with any_client.stream("https://example.com/", "countUp", {"n": 3}) as values:
        ...     for value in values:
        ...         print(value)
        ...     print(values.result)
        1
        2
        3
        done

    Returns a :class:`Stream`: an iterator of the progress values, decoded from JSON, in the order
    the page sent them (with ``progress(value)``, or each ``yield`` of an async generator method).
    The call is sent when iteration starts. Once the iteration has ended, ``.result`` is the
    method's return value.

    A failed call ends the iteration by raising :class:`AnyError` -- after the values sent before
    the failure -- and ``.result`` then raises the same error. A method that throws gives code
    ``METHOD_THREW`` and the page error's own ``name``, ``message`` and ``stack``, as with
    :func:`call`.

    To stop early, leave the ``with`` block (or call ``.close()``): that closes the call's
    connection, so the server cancels the call and the page's ``signal`` aborts. A stream that
    is garbage collected before its end is closed too; ``.result`` of a closed stream raises
    ``AnyError`` with code ``CANCELLED``.

    Arguments are those of :func:`call`; ``timeout`` bounds the whole call, values and result.
    Bad arguments raise ``AnyError`` with code ``BAD_REQUEST`` here, before any request is sent;
    every other failure is raised by the iteration (or by ``.result``).
    """
    body = _call_body(page, method, params, timeout, browser)
    _check_port(port)
    command = _checked_command(server_command)
    return Stream(port, body, timeout, start_server, command)


class Stream:
    """A call in progress, made by :func:`stream`: an iterator of its progress values.

    * Iterating sends the call (once), then yields each progress value as it arrives. The
      iteration ends when the call does: normally, or by raising :class:`AnyError`.
    * ``result`` -- the method's return value. Read before the iteration ended, it reads the
      rest of the call first, dropping the values not iterated yet. It raises the call's
      ``AnyError`` if the call failed, and ``CANCELLED`` if the stream was closed first.
    * ``close()`` -- stop: closes the call's connection, so the server cancels the call. Nothing
      happens if the call has ended. A ``with`` block calls it on leaving.

    A stream is read by one thread at a time. While it is open it has a connection of its own:
    other calls meanwhile, even from the same thread, use another one.
    """

    def __init__(self, port, body, timeout, start_server, command):
        self._port = port
        self._body = body
        self._wait = _wait_of(timeout)
        self._start_server = start_server
        self._command = command
        self._connection = None
        self._response = None
        self._socket = None
        self._deadline = None
        self._buffer = bytearray()
        self._start = 0  # where the unread part of _buffer begins
        self._state = "new"  # then "open", and "done", "failed" or "closed"
        self._result = None
        self._error = None

    def __iter__(self):
        return self

    def __next__(self):
        try:
            if self._state == "new":
                self._open()
            while self._state == "open":
                message = self._next_message()
                if "progress" in message:
                    return message["progress"]
                self._end(message)
        except AnyError:
            raise
        except BaseException:  # KeyboardInterrupt, ...: the call is abandoned, so cancel it
            self.close()
            raise
        raise StopIteration

    @property
    def result(self):
        for _ in self:
            pass
        if self._state == "done":
            return self._result
        raise self._error

    def close(self):
        if self._state not in ("new", "open"):
            return
        sent = self._state == "open"
        self._drop()
        self._state = "closed"
        self._error = _error("CANCELLED", "The stream was closed before the call ended, so the call "
                             "was cancelled." if sent else "The stream was closed before its call was sent.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # The call's life: _open sends it, _next_message reads its lines, _end ends it.

    def _open(self):
        self._state = "open"
        try:
            _reaching_server(self._send, self._port, self._start_server, self._command)
        except AnyError as error:
            if self._state == "open":
                raise self._fail(error) from None
            raise
        except BaseException:
            self._drop()
            self._state = "closed"
            raise

    def _send(self):
        """``POST /call`` asking for NDJSON; leaves the response open on its stream of lines, or
        ends the call when the server answered with one JSON body (a call refused before it ran)."""
        port, wait = self._port, self._wait
        self._connection = connection = _take_connection(port, wait)
        self._deadline = time.monotonic() + wait
        try:
            _exchange(connection, port, "POST", "/call", self._body, wait, accept="application/x-ndjson")
            self._socket = connection.sock
            self._response = response = connection.getresponse()
        except _Unreachable:
            self._drop()
            raise
        except (OSError, http.client.HTTPException) as error:
            raise self._fail(_transport_failure(port, error, wait)) from None
        kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if response.status == 200 and kind == "application/x-ndjson":
            return
        try:
            status, answer = _json_answer(response.status, response.read())
        except (_NotJson, OSError, http.client.HTTPException) as error:
            raise self._fail(_transport_failure(port, error, wait)) from None
        self._release()
        try:
            result = _result_of(port, status, answer)
        except AnyError as error:
            raise self._fail(error) from None
        self._state, self._result = "done", result

    def _next_message(self):
        """The next line of the stream, as a checked message with ``progress``, ``result`` or ``error``."""
        while True:
            newline = self._buffer.find(b"\n", self._start)
            while newline < 0:
                del self._buffer[:self._start]
                self._start = 0
                searched = len(self._buffer)
                chunk = self._read()
                if not chunk:
                    raise self._fail(_error("DISCONNECTED", f"The any server on port {self._port} "
                                            "ended the call's stream before the call ended. Call again."))
                self._buffer += chunk
                newline = self._buffer.find(b"\n", searched)
            line = bytes(self._buffer[self._start:newline])
            self._start = newline + 1
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if (isinstance(message, dict) and message.get("v") == _PROTOCOL_VERSION
                    and ("progress" in message or "result" in message or isinstance(message.get("error"), dict))):
                return message
            raise self._fail(_error("INTERNAL", f"The any server on port {self._port} sent a malformed "
                                    "line in the call's stream."))

    def _read(self, size=65536):
        """Up to ``size`` bytes of the body as they come (``b""`` at its end), within the deadline."""
        # Past the deadline, still take what has already arrived (a reader that was slow).
        remaining = max(self._deadline - time.monotonic(), 0.1)
        try:
            if self._socket is not None:
                self._socket.settimeout(remaining)
            return self._response.read1(size)
        except (OSError, http.client.HTTPException) as error:
            raise self._fail(_transport_failure(self._port, error, self._wait)) from None

    def _end(self, message):
        """The call's last line came: read the response to its end, keep the connection, end."""
        try:
            if self._socket is not None:
                self._socket.settimeout(_PROBE_TIMEOUT)
            self._response.read()
            clean = self._response.isclosed()
        except (OSError, http.client.HTTPException):
            clean = False
        if clean:
            self._release()
        else:
            self._drop()
        error = message.get("error")
        if isinstance(error, dict):
            raise self._fail(_from_payload(error))
        self._state, self._result = "done", message["result"]

    def _fail(self, error):
        """End the call with ``error`` (returned, for raising) and drop its connection if still open."""
        self._drop()
        self._state, self._error = "failed", error
        return error

    def _release(self):
        """The response was read to its end: its connection may serve the next call."""
        connection, self._connection, self._response, self._socket = self._connection, None, None, None
        if connection is not None:
            _keep_connection(self._port, connection)

    def _drop(self):
        """Close the call's connection: the server cancels a call whose caller hangs up."""
        connection, response = self._connection, self._response
        self._connection = self._response = self._socket = None
        if response is not None:
            response.close()
        if connection is not None:
            _forget_connection(connection)


def methods(page, *, timeout=None, browser=None, port=DEFAULT_PORT, start_server=True,
            server_command=None):
    """List the methods the page at ``page`` offers: those :func:`call` can run there.

    ::

        >>> any_client.methods("https://example.com/")
        [{'name': 'add', 'source': 'userscript', 'description': 'Adds two numbers.',
          'inputSchema': {'type': 'object', 'properties': {'a': {'type': 'number'},
                          'b': {'type': 'number'}}, 'required': ['a', 'b']}},
         {'name': 'headline', 'source': 'userscript'},
         {'name': 'webmcp:search', 'source': 'webmcp', 'title': 'Search the site',
          'inputSchema': {...}, 'annotations': {'readOnlyHint': True}}]

    The list comes from the tab a call to ``page`` would run in -- an open one, or one the
    browser opens -- once the page has loaded. Each entry is a dict, as a WebMCP tool is
    described:

    * ``name`` -- what to pass to :func:`call` as ``method``.
    * ``source`` -- always there: ``"webmcp"`` for the page's own WebMCP tools, which are named
      ``webmcp:<tool name>`` (in a browser started with ``npx any launch --webmcp``, or with the
      WebMCP mirror userscript that ``npx any webmcp`` prints); ``"userscript"`` for every other
      name. It follows from the name, whatever the page says of itself.
    * ``title``, ``description`` -- strings; ``inputSchema``, ``outputSchema`` -- JSON Schemas,
      as dicts. Each only when given: a WebMCP tool comes with its own, and a userscript gives a
      method these by properties of its function::

          __any__.add.title = 'Add two numbers';
          __any__.add.description = 'Adds two numbers.';
          __any__.add.inputSchema = { type: 'object', properties: { a: { type: 'number' } } };

    * ``annotations`` -- only when given: a dict of the hints ``readOnlyHint``,
      ``destructiveHint``, ``idempotentHint``, ``openWorldHint``, ``untrustedContentHint`` and
      ``consequentialHint``, each a bool; other keys, and values that are not booleans, are left
      out. A WebMCP tool's carry only the hints it set to true.

    A page where no method is registered gives ``[]``.

    Arguments: ``page``, ``timeout`` (seconds, for opening the tab and listing; ``None`` means
    the server's default of 30 s, at most 3600), ``browser`` (the connected browser whose tab
    to list, by name), ``port``, ``start_server`` and ``server_command``, all as for
    :func:`call`, which also starts a server when none runs.

    Raises :class:`AnyError` on any failure, as :func:`call` does: bad arguments raise it with
    code ``BAD_REQUEST`` (name ``BadRequestError``) before any request is sent; no browser gives
    ``NO_BROWSER``, a tab that fails to load ``TAB_FAILED``.
    """
    body = _methods_body(page, timeout, browser)
    _check_port(port, "request")
    command = _checked_command(server_command, "request")
    return _send("/methods", body, timeout, port, start_server, command)


def _send(path, body, timeout, port, start_server, command):
    """POST ``body`` to ``path``, starting a server if none runs; return the answer's result."""
    wait = _wait_of(timeout)
    status, answer = _reaching_server(lambda: _post(port, path, body, wait), port, start_server, command)
    return _result_of(port, status, answer)


def _wait_of(timeout):
    """Seconds the client waits for the server: the call's own timeout, and a grace."""
    return (_DEFAULT_TIMEOUT if timeout is None else timeout) + _GRACE


def _reaching_server(attempt, port, start_server, command):
    """``attempt()``; when nothing listens on ``port``, start a server (if allowed) and try once more."""
    try:
        return attempt()
    except _Unreachable:
        if not start_server:
            raise _error("NO_SERVER", f"No any server is running on port {port}. Start one with "
                         f"`npx any serve --port {port}`, or let calls start it (start_server=True).") from None
        _start_server(port, command)
        try:
            return attempt()
        except _Unreachable:
            raise _error("NO_SERVER", f"An any server was started on port {port}, but it refuses "
                         "connections.") from None


def health(port=DEFAULT_PORT):
    """Return the health report of the any server on ``port`` as a dict, or ``None`` if none runs.

    ::

        >>> any_client.health()
        {'ok': True, 'v': 1, 'service': 'any', 'version': '0.1.0', 'pid': 4242, 'port': 8765,
         'extension': True, 'browsers': [...], 'callsInFlight': 0}

    ``extension`` says whether a browser is connected. ``None`` also when another program, not
    an any server, holds the port. This never starts a server.
    """
    _check_port(port)
    try:
        status, answer = _request(port, "GET", "/health", None, _PROBE_TIMEOUT)
    except (_Unreachable, _NotJson, OSError, http.client.HTTPException):
        return None
    return answer if status == 200 and _is_health(answer) else None


def stop_server(port=DEFAULT_PORT):
    """Ask the any server on ``port`` to shut down. Return ``True`` if it agreed, ``False`` if no
    any server was running there.

    The server exits right after it answers; calls still running get ``DISCONNECTED``. A
    connected browser stays open and reconnects to the next server, which the next call starts.
    """
    _check_port(port)
    try:
        status, answer = _request(port, "POST", "/shutdown", b"{}", _PROBE_TIMEOUT)
    except (_Unreachable, _NotJson, OSError, http.client.HTTPException):
        return False
    return status == 200 and isinstance(answer, dict) and answer.get("ok") is True


# ── arguments ──────────────────────────────────────────────────────────────────


def _bad(problem, what="call"):
    """``BadRequestError``, worded as the server words it: "Bad call: ..." or "Bad request: ..."."""
    return _error("BAD_REQUEST", f"Bad {what}: {problem}.")


def _call_body(page, method, params, timeout, browser):
    """The JSON body of ``POST /call``, or ``BadRequestError`` naming the first bad argument."""
    if not isinstance(page, str) or not _is_http_url(page):
        raise _bad("page must be an absolute http: or https: URL string, such as "
                   f"\"https://example.com/\" (got {page!r})")
    if not isinstance(method, str) or not method:
        raise _bad("method must be a non-empty string: the name of a function on "
                   f"globalThis.__any__ (got {method!r})")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _bad("params must be a dict (a JSON object), such as {} or {\"prompt\": \"hi\"} "
                   f"(got {type(params).__name__})")
    request = {"page": page, "method": method, "params": params}
    if timeout is not None:
        request["timeout"] = _timeout_ms(timeout)
    if browser is not None:
        request["browser"] = _browser_name(browser)
    try:
        return json.dumps(request, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise _bad(f"params must hold JSON data only (dicts, lists, strings, numbers, booleans, "
                   f"None): {error}") from None


def _methods_body(page, timeout, browser):
    """The JSON body of ``POST /methods``, or ``BadRequestError`` naming the first bad argument."""
    if not isinstance(page, str) or not _is_http_url(page):
        raise _bad("page must be an absolute http: or https: URL string, such as "
                   f"\"https://example.com/\" (got {page!r})", "request")
    request = {"page": page}
    if timeout is not None:
        request["timeout"] = _timeout_ms(timeout, "request")
    if browser is not None:
        request["browser"] = _browser_name(browser, "request")
    return json.dumps(request, separators=(",", ":")).encode("utf-8")


def _is_http_url(text):
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _timeout_ms(timeout, what="call"):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise _bad(f"timeout must be a number of seconds, such as 10 or 0.5 (got {timeout!r})", what)
    # Also refuses NaN, for which every comparison is false.
    if not 0 < timeout <= _MAX_TIMEOUT:
        raise _bad(f"timeout must be more than 0 and at most {_MAX_TIMEOUT:g} seconds (got {timeout!r})", what)
    return max(1, round(timeout * 1000))


# A browser's name, as the server checks it (the protocol's BrowserName).
_BROWSER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def _browser_name(browser, what="call"):
    if not isinstance(browser, str) or not _BROWSER_NAME.fullmatch(browser):
        raise _bad("browser must be a name such as \"chrome\" or \"work\": letters, digits, \".\", "
                   "\"_\" and \"-\", at most 63 characters, starting with a letter or digit "
                   f"(got {browser!r})", what)
    return browser


def _check_port(port, what="call"):
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise _bad(f"port must be a whole number from 1 to 65535 (got {port!r})", what)


def _checked_command(server_command, what="call"):
    if server_command is None:
        return None
    if (not isinstance(server_command, (list, tuple)) or not server_command
            or not all(isinstance(part, str) and part for part in server_command)):
        raise _bad("server_command must be a non-empty list of strings, such as [\"npx\", \"any\"] "
                   f"(got {server_command!r})", what)
    return list(server_command)


# ── HTTP to 127.0.0.1 ──────────────────────────────────────────────────────────


class _Unreachable(Exception):
    """Nothing listens on the port: the connection was refused."""


class _NotJson(Exception):
    """Something answered over HTTP, but not with JSON: not an any server."""


def _request(port, method, path, body, timeout):
    """One HTTP exchange with 127.0.0.1:port, never through a proxy; returns (status, JSON).

    ``http.client`` connects directly and reads no proxy settings. The Host header is written
    out so that it always carries the port, as the server requires. Each thread keeps one
    connection per port alive between calls (a new TCP connection per call costs more than the
    call). A kept connection is reused only if the server has not closed it meanwhile (checked
    before the request is written), and a request is never sent twice: a call must not run twice.
    """
    connection = _connection(port, timeout)
    try:
        _exchange(connection, port, method, path, body, timeout)
        response = connection.getresponse()
        data = response.read()
    except BaseException:
        _drop_connection(port)
        raise
    return _json_answer(response.status, data)


def _exchange(connection, port, method, path, body, timeout, accept=None):
    """Send one request on ``connection``, connecting it first if need be (``_Unreachable`` if
    nothing listens). The caller reads the response."""
    if connection.sock is None:
        try:
            connection.connect()
        except ConnectionRefusedError:
            raise _Unreachable(f"nothing listens on 127.0.0.1:{port}") from None
    else:
        connection.sock.settimeout(timeout)
    headers = {"Host": f"127.0.0.1:{port}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if accept is not None:
        headers["Accept"] = accept
    connection.request(method, path, body=body, headers=headers)


def _json_answer(status, data):
    try:
        return status, json.loads(data)
    except ValueError:
        raise _NotJson(f"HTTP {status} with a body that is not JSON") from None


def _closed_by_peer(sock):
    """Whether an idle kept-alive socket has been closed by the server (it reads as ready)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


_connections = threading.local()
# Every kept connection, so that they are closed when the interpreter exits (weakly: those of
# threads that have ended go with their thread).
_open_connections = weakref.WeakSet()
_open_connections_lock = threading.Lock()


def _connection(port, timeout):
    """This thread's connection to ``port``: its kept one, unless the server has closed it."""
    pool = getattr(_connections, "by_port", None)
    if pool is None:
        pool = _connections.by_port = {}
    connection = pool.get(port)
    if connection is not None and connection.sock is not None and _closed_by_peer(connection.sock):
        _drop_connection(port)
        connection = None
    if connection is not None:
        return connection
    connection = pool[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    with _open_connections_lock:
        _open_connections.add(connection)
    return connection


def _drop_connection(port):
    connection = getattr(_connections, "by_port", {}).pop(port, None)
    if connection is not None:
        _forget_connection(connection)


def _forget_connection(connection):
    connection.close()
    with _open_connections_lock:
        _open_connections.discard(connection)


def _take_connection(port, timeout):
    """This thread's connection to ``port``, taken out of its pool for a streamed response: the
    response holds it until read to its end, and other calls meanwhile use another one."""
    connection = _connection(port, timeout)
    _connections.by_port.pop(port, None)
    return connection


def _keep_connection(port, connection):
    """Give back a connection whose last response was read to its end: it becomes this thread's
    kept one, unless the thread has got another meanwhile."""
    pool = getattr(_connections, "by_port", None)
    if pool is None:
        pool = _connections.by_port = {}
    if pool.get(port) is None:
        pool[port] = connection
    else:
        _forget_connection(connection)


@atexit.register
def _close_connections():
    with _open_connections_lock:
        for connection in _open_connections:
            connection.close()
        _open_connections.clear()


def _post(port, path, body, wait):
    """``POST /call`` or ``POST /methods``; returns (status, answer). Raises ``_Unreachable`` if
    nothing listens."""
    try:
        return _request(port, "POST", path, body, wait)
    except (_NotJson, OSError, http.client.HTTPException) as error:
        raise _transport_failure(port, error, wait) from None


def _transport_failure(port, error, wait):
    """The ``AnyError`` for a failed exchange with the server: garbage, silence or a lost connection."""
    if isinstance(error, _NotJson):
        return _port_taken(port)
    if isinstance(error, socket.timeout):
        return _error("TIMEOUT", f"The any server on port {port} did not answer within {wait:g} s.")
    if _who_listens(port) == "another program":
        return _port_taken(port)
    return _error("DISCONNECTED", f"Lost the connection to the any server on port {port} during "
                  f"the call ({str(error) or type(error).__name__}). Call again.")


def _result_of(port, status, answer):
    if isinstance(answer, dict) and answer.get("v") == _PROTOCOL_VERSION:
        error = answer.get("error")
        if isinstance(error, dict):
            raise _from_payload(error)
        if status == 200 and "result" in answer:
            return answer["result"]
    if _who_listens(port) == "another program":
        raise _port_taken(port)
    raise _error("INTERNAL", f"The any server on port {port} answered with a malformed message "
                 f"(HTTP {status}).")


def _who_listens(port):
    """'any', 'another program' (an HTTP answer that is not any's), or 'nobody' (refused, reset, silent)."""
    try:
        _, answer = _request(port, "GET", "/health", None, _PROBE_TIMEOUT)
    except (_NotJson, http.client.HTTPException) as error:
        # A server that hangs up without a word is no proof of another program; garbage is.
        return "nobody" if isinstance(error, ConnectionError) else "another program"
    except (_Unreachable, OSError):
        return "nobody"
    return "any" if _is_health(answer) else "another program"


def _is_health(answer):
    return isinstance(answer, dict) and answer.get("service") == "any" and answer.get("ok") is True


def _port_taken(port):
    return _error("NO_SERVER", f"Port {port} is used by another program, not an any server. Choose "
                  "another port for any: pass port=<n> to call(), and use the same port for "
                  "`npx any serve --port <n>` and `npx any launch --port <n>`.")


def _error(code, message):
    return AnyError(_NAMES[code], message, code)


def _from_payload(error):
    def text(value, default):
        return value if isinstance(value, str) else default

    methods = error.get("methods")
    return AnyError(
        name=text(error.get("name"), "Error"),
        message=text(error.get("message"), ""),
        code=text(error.get("code"), "INTERNAL"),
        stack=text(error.get("stack"), None),
        methods=[m for m in methods if isinstance(m, str)] if isinstance(methods, list) else None,
    )


# ── starting a server on demand ────────────────────────────────────────────────


def _start_server(port, server_command):
    """Start ``any serve --auto`` detached and return once it says it is ready.

    It prints one line when it listens -- or, when another caller started a server on the port
    a moment earlier, says that one is already running and exits: either way a server answers.
    We wait for that line, not for a fixed time, and leave the server running on its own.
    """
    command = _serve_command(port, server_command)
    shown = " ".join(command)
    with tempfile.TemporaryFile() as errors:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=errors, close_fds=True, **_DETACHED)
        except OSError as error:
            raise _error("NO_SERVER", f"No any server was running on port {port}, and starting one "
                         f"(`{shown}`) failed: {error}.") from None
        lines = queue.Queue()
        threading.Thread(target=_read_ready_line, args=(child.stdout, lines),
                         name=f"any-server-{port}-ready-line", daemon=True).start()
        try:
            ready, output = lines.get(timeout=_START_TIMEOUT)
        except queue.Empty:
            _kill(child)
            raise _error("NO_SERVER", f"No any server was running on port {port}, and the one started "
                         f"(`{shown}`) did not get ready within {_START_TIMEOUT:g} s.") from None
        if ready:
            # Reap it whenever it exits (15 idle minutes, or a shutdown), without waiting here.
            threading.Thread(target=child.wait, name=f"any-server-{port}-reaper", daemon=True).start()
            return
        try:
            code = child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill(child)
            code = child.returncode
        errors.seek(0)
        said = errors.read()[-4000:].decode("utf-8", "replace").strip() or output.strip()
        raise _error("NO_SERVER", f"No any server was running on port {port}, and the one started "
                     f"(`{shown}`) exited with code {code} before it was ready: "
                     f"{said or '(it printed nothing)'}")


def _serve_command(port, server_command):
    if server_command is None:
        node = shutil.which("node")
        if node is None:
            raise _error("NO_SERVER", f"No any server is running on port {port}, and none can be "
                         "started: Node.js (`node`) is not on the PATH. Install Node.js 20 or later, "
                         "or pass server_command=[...] naming how to run `any`.")
        if not os.path.isfile(_CLI):
            raise _error("NO_SERVER", f"No any server is running on port {port}, and none can be "
                         f"started: the any command line is not at {_CLI}. Run `npm run build` in "
                         "the any package, or pass server_command=[\"npx\", \"any\"].")
        base = [node, _CLI]
    else:
        executable = shutil.which(server_command[0])
        if executable is None:
            raise _error("NO_SERVER", f"No any server is running on port {port}, and none can be "
                         f"started: `{server_command[0]}` (from server_command) was not found.")
        base = [executable, *server_command[1:]]
    return [*base, "serve", "--port", str(port), "--auto"]


def _read_ready_line(stream, lines):
    """Read the child's stdout up to its ready line: puts (True, line), or (False, output) at EOF."""
    output = []
    try:
        while True:
            raw = stream.readline(65536)
            if not raw:
                lines.put((False, "".join(output)))
                return
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(_READY_LINES):
                lines.put((True, line))
                return
            output.append(line + "\n")
    except (OSError, ValueError) as error:
        lines.put((False, f"could not read its output: {error}"))
    finally:
        stream.close()


def _kill(child):
    try:
        if os.name == "nt":
            child.kill()
        else:
            os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        pass
    child.wait()
