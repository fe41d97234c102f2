"""Verifies delivered webhooks with the Standard Webhooks reference library (`standardwebhooks`).

Reads one JSON object from stdin: {"secret": "whsec_...", "requests": [{"headers": {...},
"body": "..."}], "now": <Unix seconds>?}. Writes a JSON list, one entry per request: {"ok": true, "payload": {...},
"schema_error": null or "<why>"} or {"ok": false, "error": "<exception class>"}. The library checks the signature and that the
timestamp is within five minutes of now: of `now` when given, for a test whose clock was moved
(the library reads the time from `datetime.now`, which is then answered with that time).
"""

import json
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
import standardwebhooks.webhooks
from standardwebhooks.webhooks import Webhook


def set_clock(now: float) -> None:
    """Makes the library's `datetime.now` answer `now`."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - the signature of datetime.now
            return datetime.fromtimestamp(now, tz=tz)

    standardwebhooks.webhooks.datetime = Frozen


OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"


def schema_error(schemas: dict, payload: dict) -> str | None:
    """Why `payload` does not meet the published schema of its type; None when it does."""
    entry = schemas.get(payload.get("type"))
    if entry is None:
        return f"no schema for type {payload.get('type')!r}"
    schema = entry["post"]["requestBody"]["content"]["application/json"]["schema"]
    try:
        jsonschema.validate(payload, schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as error:
        return error.message
    return None


def main() -> None:
    request = json.load(sys.stdin)
    if request.get("now") is not None:
        set_clock(float(request["now"]))
    webhook = Webhook(request["secret"])
    with open(OPENAPI, encoding="utf-8") as document:
        schemas = json.load(document)["webhooks"]
    results = []
    for delivered in request["requests"]:
        try:
            payload = webhook.verify(delivered["body"], delivered["headers"])
            results.append({"ok": True, "payload": payload, "schema_error": schema_error(schemas, payload)})
        except Exception as error:  # noqa: BLE001 - the verdict names whatever refused it
            results.append({"ok": False, "error": type(error).__name__})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
