"""Runs the SCIM conformance tools against a running Usher SCIM endpoint.

Reads one JSON object from stdin: {"url": "<Tenant URL>", "token": "usher_scim_..."}.

- scim2-tester: discovery, then create, read, query, replace, PATCH add/replace/remove and
  delete of every resource type the server publishes, each attribute of its schemas in turn.
- scim-sanity: its `probe` (discovery, User and Group lifecycles, search, error handling).

Writes one JSON object: {"scim2_tester": {"passed": n, "skipped": n, "failed": [...]},
"scim_sanity": {"exit_code": n, "summary": "...", "failed": [...]}}. The Rust test that runs it
asserts that nothing failed.
"""

import json
import subprocess
import sys
from pathlib import Path

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def run_scim2_tester(url: str, token: str) -> dict:
    http = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = [
        {"title": r.title, "status": r.status.name, "reason": str(r.reason)[:2000],
         "resource_type": r.resource_type}
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    return {
        "passed": sum(r.status == Status.SUCCESS for r in results),
        "skipped": sum(r.status == Status.SKIPPED for r in results),
        "failed": failed,
    }


def run_scim_sanity(url: str, token: str) -> dict:
    sanity = Path(sys.executable).parent / "scim-sanity"
    probe = subprocess.run(
        [str(sanity), "probe", url, "--token", token, "--i-accept-side-effects"],
        capture_output=True, text=True, timeout=300,
    )
    lines = probe.stdout.splitlines()
    failed = [
        line.strip() + " " + (lines[i + 1].strip() if i + 1 < len(lines) else "")
        for i, line in enumerate(lines)
        if "[FAIL]" in line or "[ERROR]" in line
    ]
    summary = next((line.strip() for line in lines if " passed, " in line), "")
    return {"exit_code": probe.returncode, "summary": summary, "failed": failed}


def main() -> None:
    request = json.load(sys.stdin)
    url, token = request["url"], request["token"]
    json.dump({"scim2_tester": run_scim2_tester(url, token),
               "scim_sanity": run_scim_sanity(url, token)}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
