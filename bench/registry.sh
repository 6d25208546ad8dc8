# Sourced by the bench scripts: start_registry DIR starts Debian's
# docker-registry on a free 127.0.0.1 port with its storage under DIR, sets
# REG (host:port) and REG_PID, and waits until it answers; stop_registry
# stops it (call it from the script's EXIT trap).
REG_PID=
start_registry() {
  local dir=$1 port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir/storage"
  cat > "$dir/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 &
  REG_PID=$!
  REG="127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && return 0; sleep 0.1; done
  cat "$dir/registry.log" >&2
  return 1
}
stop_registry() { [ -z "$REG_PID" ] || kill "$REG_PID" 2>/dev/null || true; }
