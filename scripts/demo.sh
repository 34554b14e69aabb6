#!/usr/bin/env bash
# make demo: migrate, load the order log, create the demo login, train the models, serve.
# SERVE=0 prepares everything and exits (for scripts). With DATABASE_URL and
# CELERY_BROKER_URL set, a Celery worker and beat run beside the web server.
set -euo pipefail
serve=${1:-1}
port=${2:-8000}
py=.venv/bin/python
mkdir -p var

$py manage.py migrate --noinput -v 0
$py manage.py collectstatic --noinput -v 0
$py manage.py demo_setup
# Train every model kind once, here, so the back-office opens with results.
$py manage.py retrain all --sync

if [ "$serve" = "0" ]; then
  exit 0
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${CELERY_BROKER_URL:-}" ]; then
  .venv/bin/celery -A retailhub worker -Q default,ml --loglevel INFO &
  pids+=($!)
  .venv/bin/celery -A retailhub beat --loglevel INFO &
  pids+=($!)
fi
echo "RetailHub back-office: http://127.0.0.1:${port}/admin/"
echo "Sample storefront with the widget: http://127.0.0.1:${port}/storefront/   API docs: http://127.0.0.1:${port}/api/docs/"
$py manage.py runserver "0.0.0.0:${port}" --noreload
