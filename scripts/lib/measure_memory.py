"""Peak memory of password hashing; run by scripts/measure-memory, which builds the binaries and
starts DynamoDB Local. Prints one line per figure."""

import argparse
import base64
import concurrent.futures
import http.server
import json
import os
import queue
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

QUIET = {"USHER_LOG": "warn"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def post_json(url, body, headers=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


def tenant_create(usher, extra_args, env, owner="mem@example.org"):
    """A tenant whose owner has a generated password; returns that password."""
    out = subprocess.run(
        [usher, "tenant", "create", "--name", "Memory", "--owner-email", owner,
         "--generate-password", *extra_args],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)["generated_password"]


def local_server(usher, clients, rounds):
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, **QUIET}
        # One account per client: sign-in attempts are limited per email.
        owners = [f"mem-{n}@example.org" for n in range(clients)]
        passwords = [tenant_create(usher, ["--data-dir", data], env, owner) for owner in owners]
        port = free_port()
        server = subprocess.Popen(
            [usher, "serve", "--addr", f"127.0.0.1:{port}", "--data-dir", data, "--no-demo"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            start_kib = status_kib(server.pid, "VmRSS")

            def client(n):
                for _ in range(rounds):
                    status, _body = post_json(base + "/v1/sessions",
                                              {"email": owners[n], "password": passwords[n]})
                    assert status == 201, status

            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                list(pool.map(client, range(clients)))
            elapsed = time.monotonic() - started
            peak = status_kib(server.pid, "VmHWM")
            time.sleep(2)
            rest = status_kib(server.pid, "VmRSS")
            print(f"usher serve, {clients} concurrent clients x {rounds} sign-ins "
                  f"({clients * rounds / elapsed:.1f} sign-ins/s): "
                  f"RSS before {mib(start_kib)}, peak (VmHWM) {mib(peak)}, at rest after {mib(rest)}")
        finally:
            server.kill()
            server.wait()


class RuntimeApi(http.server.ThreadingHTTPServer):
    """The Lambda runtime API, as far as a function that only answers invocations needs it."""

    def __init__(self, events):
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.events = events
        self.answers = queue.Queue()


class RuntimeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def do_GET(self):
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        event = self.server.events.get()
        request_id = secrets.token_hex(8)
        body = json.dumps(event).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:sessions")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()
        self.server.answers.put((self.path, body))


def dynamodb_call(endpoint, target, body):
    headers = {
        "x-amz-target": f"DynamoDB_20120810.{target}",
        "content-type": "application/x-amz-json-1.0",
        "authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    }
    request = urllib.request.Request(endpoint, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def lambda_binary(usher, sessions, dynamodb, count):
    table = f"usher-memory-{secrets.token_hex(4)}"
    dynamodb_call(dynamodb, "CreateTable", {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
    })
    aws = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
    }
    env = {**os.environ, **QUIET, **aws}
    password = tenant_create(usher, ["--table", table], env)
    event = {
        "version": "2.0", "routeKey": "POST /v1/sessions", "rawPath": "/v1/sessions",
        "rawQueryString": "", "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "measure", "domainName": "localhost",
            "http": {"method": "POST", "path": "/v1/sessions", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "measure"},
            "requestId": "measure", "routeKey": "POST /v1/sessions", "stage": "$default",
            "time": "26/Nov/2026:00:00:00 +0000", "timeEpoch": 1795651200000,
        },
        "isBase64Encoded": False,
        "body": json.dumps({"email": "mem@example.org", "password": password}),
    }
    events = queue.Queue()
    runtime = RuntimeApi(events)
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    function = subprocess.Popen([sessions], env={
        **env,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "sessions", "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_LOG_GROUP_NAME": "measure", "AWS_LAMBDA_LOG_STREAM_NAME": "measure",
        "USHER_TABLE": table, "USHER_PUBLIC_URL": "https://usher.example",
        "USHER_OUTBOX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        statuses = []
        for _ in range(count):
            events.put(event)
            path, body = runtime.answers.get(timeout=60)
            if not path.endswith("/response"):
                raise RuntimeError(f"the function failed: {path} {body[:300]!r}")
            statuses.append(json.loads(body)["statusCode"])
        assert statuses == [201] * count, statuses
        print(f"sessions Lambda binary, {count} sequential sign-ins: "
              f"peak (VmHWM) {mib(status_kib(function.pid, 'VmHWM'))}, "
              f"RSS after {mib(status_kib(function.pid, 'VmRSS'))}")
    finally:
        function.kill()
        function.wait()
        runtime.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--usher", required=True)
    parser.add_argument("--sessions", required=True)
    parser.add_argument("--dynamodb", required=True)
    args = parser.parse_args()
    local_server(args.usher, clients=8, rounds=5)
    lambda_binary(args.usher, args.sessions, args.dynamodb, count=50)


if __name__ == "__main__":
    main()
