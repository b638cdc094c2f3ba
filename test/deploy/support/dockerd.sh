#!/usr/bin/env bash
# Starts or stops a Docker engine of countd's own, for the compose stack test, on a machine
# without systemd (CI, a developer's box): its own socket, data root, exec root and pid file,
# published ports on 127.0.0.1 by default, so it disturbs no other engine or service.
#
#   test/deploy/support/dockerd.sh start    # prints DOCKER_HOST=unix://… once the engine answers
#   test/deploy/support/dockerd.sh stop     # stops the engine this script started (by its pid)
#   test/deploy/support/dockerd.sh status
#
# Env: COUNTD_DOCKERD_ROOT (data root, default /var/lib/countd-docker: images stay cached
# between runs), COUNTD_DOCKERD_RUN (socket, pid file, exec root, log; default /run/countd-docker).
# Needs root and `dockerd` (Debian: apt-get install docker.io).
set -euo pipefail

root=${COUNTD_DOCKERD_ROOT:-/var/lib/countd-docker}
run=${COUNTD_DOCKERD_RUN:-/run/countd-docker}
sock=$run/docker.sock
pidfile=$run/dockerd.pid
log=$run/dockerd.log
export DOCKER_HOST=unix://$sock

answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

case "${1:-}" in
  start)
    if running_pid >/dev/null && answers; then
      echo "DOCKER_HOST=$DOCKER_HOST"
      exit 0
    fi
    command -v dockerd >/dev/null || {
      echo "dockerd.sh: dockerd not found (apt-get install docker.io)" >&2
      exit 1
    }
    mkdir -p "$root" "$run"
    # setsid: the engine outlives neither its pid file nor `stop`, but is not in the caller's
    # process group, so a Ctrl-C in the caller's terminal does not kill it mid-test.
    setsid dockerd \
      --host "unix://$sock" \
      --data-root "$root" \
      --exec-root "$run/exec" \
      --pidfile "$pidfile" \
      --ip 127.0.0.1 \
      >"$log" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
      if answers; then
        echo "DOCKER_HOST=$DOCKER_HOST"
        exit 0
      fi
      sleep 0.5
    done
    echo "dockerd.sh: the engine did not answer within 30 s; last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
    ;;
  stop)
    pid=$(running_pid) || {
      echo "dockerd.sh: no engine of ours is running"
      exit 0
    }
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || {
        echo "dockerd.sh: engine (pid $pid) stopped"
        exit 0
      }
      sleep 0.5
    done
    echo "dockerd.sh: engine (pid $pid) still running after 30 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  status)
    if pid=$(running_pid) && answers; then
      echo "running (pid $pid), DOCKER_HOST=$DOCKER_HOST"
    else
      echo "not running"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
