# A CI service (see .ci/run): `mlflow_install` builds the venv, `mlflow_start` starts a
# throwaway MLflow tracking server for the tracking integration tests and exports
#   MLFLOW_TRACKING_URI  http://127.0.0.1:<free port>
#   MLFLOW_BIN           the mlflow executable (tests start their own server for the outage test)
# `mlflow_stop` stops it (.ci/run calls it on exit).
#
# MLflow is installed with pip into a venv under $TRADEPIPE_CI_CACHE, so only the first run on a
# machine pays for the install (~1 min); the server itself starts in ~10 s.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"

TRADEPIPE_MLFLOW_VERSION="3.17.2"

mlflow_venv() {
  echo "${TRADEPIPE_CI_CACHE}/mlflow-$TRADEPIPE_MLFLOW_VERSION"
}

mlflow_install() {
  local venv
  venv="$(mlflow_venv)"
  # A venv is not relocatable: build it in place; the marker says the install completed.
  if [ ! -f "$venv/.installed" ]; then
    echo "mlflow: installing mlflow==$TRADEPIPE_MLFLOW_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "mlflow==$TRADEPIPE_MLFLOW_VERSION" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    touch "$venv/.installed"
  fi
}

mlflow_start() {
  local venv
  venv="$(mlflow_venv)"
  TRADEPIPE_MLFLOW_DIR="$(mktemp -d)"
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # setsid: the server and its workers form one process group, stopped together.
  # No background job runner (MLflow 3's GenAI jobs): we do not use it, and it costs a dozen processes.
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false setsid "$venv/bin/mlflow" server --host 127.0.0.1 --port "$port" --workers 1 \
    --backend-store-uri "sqlite:///$TRADEPIPE_MLFLOW_DIR/mlflow.db" \
    --artifacts-destination "$TRADEPIPE_MLFLOW_DIR/artifacts" \
    >"$TRADEPIPE_MLFLOW_DIR/server.log" 2>&1 &
  TRADEPIPE_MLFLOW_PID=$!
  # Not a job of this shell: stopping it later must not print bash's "Killed" job notice.
  disown "$TRADEPIPE_MLFLOW_PID"

  local url="http://127.0.0.1:$port"
  local i
  for i in $(seq 1 240); do
    if python3 -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('$url/health', timeout=2).status == 200 else 1)" 2>/dev/null; then
      export MLFLOW_TRACKING_URI="$url"
      export MLFLOW_BIN="$venv/bin/mlflow"
      echo "mlflow: mlflow $TRADEPIPE_MLFLOW_VERSION up at $url (pid $TRADEPIPE_MLFLOW_PID, data $TRADEPIPE_MLFLOW_DIR)" >&2
      return 0
    fi
    if ! kill -0 "$TRADEPIPE_MLFLOW_PID" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "mlflow: the server did not become healthy; its log:" >&2
  tail -n 40 "$TRADEPIPE_MLFLOW_DIR/server.log" >&2
  mlflow_stop
  return 1
}

mlflow_stop() {
  stop_service_group "${TRADEPIPE_MLFLOW_PID:-}" "${TRADEPIPE_MLFLOW_DIR:-}"
  TRADEPIPE_MLFLOW_PID=""
  TRADEPIPE_MLFLOW_DIR=""
}
