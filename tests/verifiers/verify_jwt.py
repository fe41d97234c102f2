"""Verifies JWTs with PyJWT (and `cryptography`), fetching the keys from a JWKS URL over HTTP.

Reads one JSON object from stdin: {"jwks_url", "issuer", "audience", "tokens": [...],
"verify_exp": bool}. Writes a JSON list, one entry per token: {"ok": true, "claims": {...},
"kid": "..."} or {"ok": false, "error": "<PyJWT exception class>"}. Only ES256 is accepted, as a
verifier of Usher's tokens is told to.
"""

import json
import sys

import jwt


def main() -> None:
    request = json.load(sys.stdin)
    client = jwt.PyJWKClient(request["jwks_url"], cache_keys=True)
    results = []
    for token in request["tokens"]:
        try:
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["ES256"],
                audience=request["audience"],
                issuer=request["issuer"],
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                    "verify_exp": request.get("verify_exp", True),
                },
            )
            results.append({"ok": True, "claims": claims, "kid": key.key_id})
        except jwt.PyJWTError as error:
            results.append({"ok": False, "error": type(error).__name__})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
