"""Verifies delivered webhooks with the Standard Webhooks reference library (`standardwebhooks`).

Reads one JSON object from stdin: {"secret": "whsec_...", "requests": [{"headers": {...},
"body": "..."}], "now": <Unix seconds>?}. Writes a JSON list, one entry per request: {"ok": true, "payload": {...}} or
{"ok": false, "error": "<exception class>"}. The library checks the signature and that the
timestamp is within five minutes of now: of `now` when given, for a test whose clock was moved
(the library reads the time from `datetime.now`, which is then answered with that time).
"""

import json
import sys
from datetime import datetime

import standardwebhooks.webhooks
from standardwebhooks.webhooks import Webhook


def set_clock(now: float) -> None:
    """Makes the library's `datetime.now` answer `now`."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - the signature of datetime.now
            return datetime.fromtimestamp(now, tz=tz)

    standardwebhooks.webhooks.datetime = Frozen


def main() -> None:
    request = json.load(sys.stdin)
    if request.get("now") is not None:
        set_clock(float(request["now"]))
    webhook = Webhook(request["secret"])
    results = []
    for delivered in request["requests"]:
        try:
            payload = webhook.verify(delivered["body"], delivered["headers"])
            results.append({"ok": True, "payload": payload})
        except Exception as error:  # noqa: BLE001 - the verdict names whatever refused it
            results.append({"ok": False, "error": type(error).__name__})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
