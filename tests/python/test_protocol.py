"""The Python client's copies of the protocol's constants equal those of the TypeScript source.

python/any_client.py is one file with no dependencies, so it restates a few of the any server's
constants: the port, the timeouts, the ready lines of `any serve`, the names of the errors it
raises itself, the protocol version. `npm run build` writes every one of them, read from
src/protocol, to dist/protocol.json (src/protocol/description.ts); these tests compare the two,
so that a change on one side only fails here. No browser or server is needed. Run after
`npm run build`:

    python3 -m unittest discover -s tests/python -v
"""
import inspect
import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
PROTOCOL_JSON = os.path.join(REPO, "dist", "protocol.json")

sys.path.insert(0, os.path.join(REPO, "python"))
import any_client  # noqa: E402

PROTOCOL = None


def setUpModule():
    global PROTOCOL
    if not os.path.isfile(PROTOCOL_JSON):
        raise RuntimeError(f"these tests need the built protocol description ({PROTOCOL_JSON}): run `npm run build`")
    with open(PROTOCOL_JSON, encoding="utf-8") as file:
        PROTOCOL = json.load(file)


def seconds(milliseconds):
    return milliseconds / 1000


class ConstantsTest(unittest.TestCase):
    def test_the_protocol_version(self):
        self.assertEqual(any_client._PROTOCOL_VERSION, PROTOCOL["protocolVersion"])

    def test_the_default_port_also_as_every_functions_default(self):
        port = PROTOCOL["defaults"]["port"]
        self.assertEqual(any_client.DEFAULT_PORT, port)
        for function in (any_client.call, any_client.stream, any_client.methods, any_client.health,
                         any_client.stop_server):
            with self.subTest(function=function.__name__):
                self.assertEqual(inspect.signature(function).parameters["port"].default, port)

    def test_the_default_and_the_largest_timeout(self):
        self.assertEqual(any_client._DEFAULT_TIMEOUT, seconds(PROTOCOL["defaults"]["callTimeoutMs"]))
        self.assertEqual(any_client._MAX_TIMEOUT, seconds(PROTOCOL["limits"]["maxCallTimeoutMs"]))

    def test_the_browser_name_rule(self):
        self.assertEqual("^" + any_client._BROWSER_NAME.pattern + "$", PROTOCOL["limits"]["browserNamePattern"])

    def test_the_ready_lines_of_any_serve(self):
        lines = PROTOCOL["serveLines"]
        self.assertEqual(any_client._READY_LINES, (lines["listening"], lines["alreadyRunning"]))

    def test_the_errors_it_raises_itself_have_the_servers_codes_and_names(self):
        errors = PROTOCOL["errors"]
        for code, name in any_client._NAMES.items():
            with self.subTest(code=code):
                self.assertIn(code, errors)
                self.assertEqual(name, errors[code]["name"])


class DocumentationTest(unittest.TestCase):
    """What the module's docstrings state about the protocol, since help(any_client) shows it."""

    def test_the_module_lists_exactly_the_servers_error_codes(self):
        found = re.search(r"The codes are those of the any server[^:]*:(.*?)\n\n", any_client.__doc__, re.DOTALL)
        self.assertIsNotNone(found, "the module docstring no longer lists the error codes")
        listed = re.findall(r"``([A-Z_]+)``", found.group(1))
        self.assertEqual(len(listed), len(set(listed)), listed)
        self.assertEqual(set(listed), set(PROTOCOL["errors"]))

    def test_the_stated_defaults_and_limits(self):
        default = f"{seconds(PROTOCOL['defaults']['callTimeoutMs']):g}"
        largest = f"{seconds(PROTOCOL['limits']['maxCallTimeoutMs']):g}"
        port = str(PROTOCOL["defaults"]["port"])
        stated = [
            (any_client, r"The server's default\s+is (\d+) s", default),
            (any_client.call, r"the server's default of (\d+) s", default),
            (any_client.call, r"At most (\d+)\.", largest),
            (any_client.call, r"the any server's port \((\d+) unless", port),
            (any_client.methods, r"the server's default of (\d+) s", default),
            (any_client.methods, r"at most (\d+)\)", largest),
        ]
        for where, pattern, expected in stated:
            with self.subTest(where=where.__name__, pattern=pattern):
                found = re.search(pattern, where.__doc__)
                self.assertIsNotNone(found, f"{where.__name__}'s docstring no longer says {pattern!r}")
                self.assertEqual(found.group(1), expected)


if __name__ == "__main__":
    unittest.main()
