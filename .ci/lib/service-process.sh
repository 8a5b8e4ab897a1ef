# Sourced by .ci/services/*.sh: stopping a server started with `setsid` (its own process group).

# stop_service_group PID DIR: TERM the group, give it 5 s, KILL what is left, remove DIR.
# Every command tolerates failure: the callers run from an EXIT trap, possibly under `set -e`.
stop_service_group() {
  local pid="$1" dir="$2" i
  if [ -n "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for i in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  if [ -n "$dir" ]; then
    rm -rf "$dir" || true
  fi
}
