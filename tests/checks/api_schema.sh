#!/usr/bin/env bash
# The API's OpenAPI schema: drf-spectacular validates it without a single warning, then
# Schemathesis tests every operation against a throwaway server (gunicorn, temporary SQLite,
# a seeded channel-system user with a token): zero 5xx, zero schema violations.
# Fixed seed and bounded examples so it fits CI. Extra arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
py=$root/.venv/bin/python
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=config.settings.test
export APP_VAR_DIR="$tmp"
export DATABASE_URL="sqlite:///$tmp/db.sqlite3"
# The fuzzer sends thousands of requests with one token; keep throttling out of its way.
export API_TOKEN_CLIENT_RATE=1000000/minute
export API_TOKEN_LOGIN_RATE=1000000/minute

echo "-- spectacular --validate --fail-on-warn"
$py manage.py spectacular --validate --fail-on-warn --file "$tmp/schema.yaml"

echo "-- seeding a throwaway database"
$py manage.py migrate --no-input -v 0
# One case per transition in a state that allows it, so the fuzzer reaches the services
# (after its first success a case moves on and the rest of its requests meet a 409).
$py manage.py shell -c "
from tests import factories
from rest_framework.authtoken.models import Token
from workflows import services
world = factories.make_world()
state_for = {'assign': 'new', 'reject': 'new', 'merge': 'new', 'reassign': 'assigned', 'respond': 'assigned',
             'withdraw': 'assigned', 'request_extension': 'in_progress', 'resolve': 'in_progress',
             'record_callback_attempt': 'resolved', 'close': 'resolved', 'close_unreachable': 'resolved',
             'reopen': 'resolved', 'approve_extension': 'in_progress', 'deny_extension': 'in_progress'}
for name, state in state_for.items():
    case = factories.case_in_state(world, state)
    if name in ('approve_extension', 'deny_extension'):
        case = services.complaint_request_extension(complaint=case, actor=world.owner, days=10, reason='Seed')
    print(f'case {name} {case.reference}')
# One stored report, so that the PDF download is exercised with an id that exists.
from datetime import date
from reports.periods import Period
from reports.services import report_generate
report = report_generate(period=Period(date(2026, 1, 5), date(2026, 1, 18)), language='en')
print(f'report {report.pk}')
# A supervisor may take every operation, the reports' included; roles are tested in tests/api.
print(f'token {Token.objects.create(user=world.supervisor).key}')
" > "$tmp/seed.txt"
token=$(awk '$1 == "token" {print $2}' "$tmp/seed.txt")
any_case=$(awk '$1 == "case" {print $3; exit}' "$tmp/seed.txt")
{
  echo "[parameters]"
  echo "\"path.reference\" = \"$any_case\""
  awk '$1 == "report" {
    printf "\n[[operations]]\ninclude-path = \"/api/v1/reports/{id}/pdf/\"\nparameters = { \"path.id\" = %s }\n", $2
  }' "$tmp/seed.txt"
  awk '$1 == "case" {
    printf "\n[[operations]]\ninclude-path = \"/api/v1/complaints/{reference}/transitions/%s/\"\nparameters = { \"path.reference\" = \"%s\" }\n", $2, $3
  }' "$tmp/seed.txt"
} > "$tmp/schemathesis.toml"

port=$($py -c "from tests.servers import free_port; print(free_port())")
# The production web configuration (config/gunicorn.conf.py), on a free loopback port.
$root/.venv/bin/gunicorn -c "$root/config/gunicorn.conf.py" --bind "127.0.0.1:$port" \
  --log-level warning --error-logfile "$tmp/gunicorn.log" &
server_pid=$!
for _ in $(seq 1 100); do
  if $py -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/api/v1/schema/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

# positive_data_acceptance is left out on purpose: write fields take codes and references of
# rows that exist (category, cause, department, into), so a schema-valid random code is
# rightly a 400; every other check runs.
echo "-- schemathesis against http://127.0.0.1:$port/api/v1/schema/"
cd "$tmp"
$root/.venv/bin/schemathesis --config-file "$tmp/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/schema/" \
  --header "Authorization: Token $token" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --seed 20260105 \
  --max-examples 25 \
  --generation-database none \
  --no-color \
  "$@"
