"""Verifies delivered webhooks with the Standard Webhooks reference library (`standardwebhooks`).

Reads one JSON object from stdin: {"secret": "whsec_...", "requests": [{"headers": {...},
"body": "..."}]}. Writes a JSON list, one entry per request: {"ok": true, "payload": {...}} or
{"ok": false, "error": "<exception class>"}. The library checks the signature and that the
timestamp is within five minutes of now.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook


def main() -> None:
    request = json.load(sys.stdin)
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
