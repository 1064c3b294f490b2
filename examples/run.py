"""Call a method inside a web page from Python, and print what it returns.

    python3 examples/run.py [page-url] [port]

It calls ``pageInfo`` with ``{"delay": 100}`` in the browser tab at ``page-url`` (default
https://example.com/) and prints the result as JSON::

    {
      "title": "Example Domain",
      "url": "https://example.com/",
      "readyState": "complete"
    }

``pageInfo`` comes from the example userscript examples/userscripts/page-info.user.js, so a
browser with the any extension and that userscript must be running first, for instance the
managed one (add ``--headless`` on a machine without a display)::

    npx any launch --userscripts examples/userscripts

The any server between the two is started by the call if none is running on ``port`` (default
8765, the port ``npx any launch`` uses unless given ``--port``). On failure the script prints
``Name: message (CODE)`` on stderr and exits with status 1.
"""
import json
import os
import sys

# The client is one file in ../python, next to this folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import any_client  # noqa: E402


def main(arguments):
    if "-h" in arguments or "--help" in arguments:
        print(__doc__)
        return 0
    if len(arguments) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    page = arguments[0] if arguments else "https://example.com/"
    try:
        port = int(arguments[1]) if len(arguments) > 1 else any_client.DEFAULT_PORT
    except ValueError:
        print(f"port must be a number, not {arguments[1]!r}", file=sys.stderr)
        return 2

    try:
        result = any_client.call(page, "pageInfo", {"delay": 100}, port=port)
    except any_client.AnyError as error:
        print(f"{error} ({error.code})", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
