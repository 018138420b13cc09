#!/usr/bin/env bash
# The API's OpenAPI schema: drf-spectacular validates it without a single warning, then
# Schemathesis tests every operation against a throwaway server (gunicorn, temporary SQLite,
# a token for each role): zero 5xx, zero schema violations, as every role in turn.
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
export API_TOKEN_LOGIN_ACCOUNT_RATE=1000000/minute
export LOGIN_FAILURE_LIMIT=1000000
# Rotation ends the old token after its grace: keep the fuzzer's token alive however often it rotates.
export API_TOKEN_ROTATION_GRACE_SECONDS=100000000

echo "-- spectacular --validate --fail-on-warn"
$py manage.py spectacular --validate --fail-on-warn --file "$tmp/schema.yaml"

echo "-- seeding a throwaway database"
$py manage.py migrate --no-input -v 0
# Per role: a token, and one case per transition in a state that allows it, so the fuzzer
# reaches the services (after its first success a case moves on and the rest of its requests
# meet a 409). Department people's cases are Retail's, so other_owner's are another department's
# (they look missing to it: 404); channel_system's are ones it logged.
$py manage.py shell -c "
from tests import factories
from access.services import api_token_issue
from complaints import roles
from workflows import services
world = factories.make_world()
users = {'cs': world.cs, 'owner': world.owner, 'member': world.member, 'other_owner': world.other_owner,
         'supervisor': world.supervisor}
if 'channel_system' in roles.ROLE_GROUPS:
    users['channel_system'] = factories.UserFactory(username='channel-app', roles=['channel_system'])
state_for = {'assign': 'new', 'reject': 'new', 'merge': 'new', 'reassign': 'assigned', 'respond': 'assigned',
             'withdraw': 'assigned', 'request_extension': 'in_progress', 'resolve': 'in_progress',
             'record_callback_attempt': 'resolved', 'close': 'resolved', 'close_unreachable': 'resolved',
             'reopen': 'resolved', 'approve_extension': 'in_progress', 'deny_extension': 'in_progress'}
for role, user in users.items():
    for name, state in state_for.items():
        case = factories.case_in_state(world, state)
        if name in ('approve_extension', 'deny_extension'):
            case = services.complaint_request_extension(complaint=case, actor=world.owner, days=10, reason='Seed')
        if role == 'channel_system':
            # A channel reads only what it logged: this case is one it logged (assigned to it as its creator).
            type(case).objects.filter(pk=case.pk).update(created_by=user)
        print(f'case {role} {name} {case.reference}')
    print(f'token {role} {api_token_issue(user=user, name=\"schemathesis\").key}')
# Rotation and revocation end the token they are sent with: they get one of their own, last.
print(f'token_ops supervisor {api_token_issue(user=world.supervisor, name=\"schemathesis\").key}')
# One stored report, so that the PDF download is exercised with an id that exists.
from datetime import date
from reports.periods import Period
from reports.services import report_generate
report = report_generate(period=Period(date(2026, 1, 5), date(2026, 1, 18)), language='en')
print(f'report {report.pk}')
" > "$tmp/seed.txt"

port=$($py -c "from tests.servers import free_port; print(free_port())")
# The production web configuration (config/gunicorn.conf.py), on a free loopback port, with
# 4 threads a process instead of 1: some of the fuzzer's malformed requests leave a kept-alive
# connection half-read, and a process's only thread then waits on it while the fuzzer waits on
# its next request on another connection (each side times out; no proxy buffers requests here).
$root/.venv/bin/gunicorn -c "$root/config/gunicorn.conf.py" --bind "127.0.0.1:$port" --threads 4 \
  --log-level warning --error-logfile "$tmp/gunicorn.log" &
server_pid=$!
for _ in $(seq 1 100); do
  if $py -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/api/v1/schema/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

# Every role in turn, each with its own fixed seed: what one role may not do must be a clean
# 403/404/409 in the documented error shape, never a 5xx or a response the schema does not
# describe. Rotation and revocation end the token they are sent with, so the roles' runs leave
# them out and a last run takes them with a token of their own. SCHEMATHESIS_MAX_EXAMPLES
# (default 8 per operation and run) bounds the time: about 3 minutes in all on a 2-core machine.
# positive_data_acceptance is left out on purpose: write fields take codes and references of
# rows that exist (category, cause, department, into), so a schema-valid random code is
# rightly a 400; every other check runs.
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-8}
seed=20260105
status=0
cd "$tmp"
token_ops='^/api/v1/auth/token/(rotate|revoke)/$'
for role in $(awk '$1 == "token" {print $2}' "$tmp/seed.txt") token_ops; do
  seed=$((seed + 1))
  if [ "$role" = token_ops ]; then
    token=$(awk '$1 == "token_ops" {print $3}' "$tmp/seed.txt")
    operations=(--include-path-regex "$token_ops")
  else
    token=$(awk -v role="$role" '$1 == "token" && $2 == role {print $3}' "$tmp/seed.txt")
    operations=(--exclude-path-regex "$token_ops")
  fi
  any_case=$(awk '$1 == "case" && $2 == "supervisor" {print $4; exit}' "$tmp/seed.txt")
  any_case=$(awk -v role="$role" -v fallback="$any_case" '$1 == "case" && $2 == role {found = $4; exit} END {print found ? found : fallback}' "$tmp/seed.txt")
  {
    echo "[parameters]"
    echo "\"path.reference\" = \"$any_case\""
    awk '$1 == "report" {
      printf "\n[[operations]]\ninclude-path = \"/api/v1/reports/{id}/pdf/\"\nparameters = { \"path.id\" = %s }\n", $2
    }' "$tmp/seed.txt"
    awk -v role="$role" '$1 == "case" && $2 == role {
      printf "\n[[operations]]\ninclude-path = \"/api/v1/complaints/{reference}/transitions/%s/\"\nparameters = { \"path.reference\" = \"%s\" }\n", $3, $4
    }' "$tmp/seed.txt"
  } > "$tmp/schemathesis-$role.toml"
  echo "-- schemathesis as $role (seed $seed, $max_examples examples) against http://127.0.0.1:$port/api/v1/schema/"
  started=$SECONDS
  if ! $root/.venv/bin/schemathesis --config-file "$tmp/schemathesis-$role.toml" run "http://127.0.0.1:$port/api/v1/schema/" \
    --header "Authorization: Token $token" \
    "${operations[@]}" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --phases examples,coverage,fuzzing \
    --seed "$seed" \
    --max-examples "$max_examples" \
    --generation-database none \
    --no-color \
    "$@"; then
    echo "-- schemathesis as $role: FAILED"
    status=1
  fi
  echo "-- schemathesis as $role: $((SECONDS - started)) s"
done
exit $status
