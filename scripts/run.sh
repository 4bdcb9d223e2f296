#!/usr/bin/env bash
# Start vorder on its embedded default: SQLite under $VORDER_DATA_DIR, demo data, web UI, worker.
set -euo pipefail
BIN=${VORDER_BIN:-.venv/bin}
HOST=${VORDER_HOST:-127.0.0.1}
PORT=${VORDER_PORT:-8000}
# The laptop demo runs in debug mode (detailed error pages, static files from runserver).
export VORDER_DEBUG=${VORDER_DEBUG:-1}

"$BIN/vorder" migrate --noinput -v 0
"$BIN/vorder" demo-data --if-empty

"$BIN/vorder" db_worker --interval 2 --no-reload &
WORKER=$!
"$BIN/vorder" scheduler &
SCHEDULER=$!
trap 'kill $WORKER $SCHEDULER 2>/dev/null || true' EXIT INT TERM

cat <<TXT

  vorder is running on http://$HOST:$PORT/   (API docs: http://$HOST:$PORT/api/docs)
  Demo login: demo / demo   (credit manager; also: collector / collector, viewer / viewer)
  Data: ${VORDER_DATA_DIR:-var}/   Stop with Ctrl-C.

TXT
"$BIN/vorder" runserver "$HOST:$PORT" --noreload
