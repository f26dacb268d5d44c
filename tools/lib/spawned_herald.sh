# Shared by the benchmark and drill scripts (source it, do not run it).
#   spawned_herald_pid LOAD_PID [SECONDS]  prints the pid of the herald that `herald-load --spawn`
#                                          (process LOAD_PID) started, waiting up to SECONDS (30)
#                                          for it; prints nothing if none appeared.
spawned_herald_pid() {
  local load_pid="$1" tries=$((${2:-30} * 10)) pid=""
  for _ in $(seq 1 "$tries"); do
    pid="$(pgrep -P "$load_pid" -x herald || true)"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  echo "$pid"
}
