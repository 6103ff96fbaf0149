#!/usr/bin/env bash
# Runs schemathesis (PyPI, the version pinned in scripts/bootstrap.sh) against a running relay's own OpenAPI
# document, and fails when any response breaks it.
#
#   run_schemathesis.sh BASE_URL TOKEN [extra `st run` arguments...]
#   e.g. run_schemathesis.sh http://127.0.0.1:8080 pbk_dev_...
#
# First checks that BASE_URL/api/v1/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator) and is
# byte for byte Sources/CloudRelay/OpenAPI/openapi.json. Then every operation gets positive and negative cases
# (examples, coverage, fuzzing and stateful phases; the stateful one follows the document's links, e.g. a
# registered device into GET/PATCH/DELETE and commands) with these checks:
#   not_a_server_error            no 5xx, on any input
#   status_code_conformance       every status is one the operation documents
#   content_type_conformance      every body has its documented Content-Type
#   response_schema_conformance   every body matches its documented schema
#   response_headers_conformance  documented required headers (X-Trace-ID, X-RateLimit-*, Retry-After) present
#                                 and well-formed
# The token should be an admin one whose rate limit will not run out during the run: 429s are documented, so
# they pass, but every request they answer tests nothing.
#
# Environment: ST_MAX_EXAMPLES (25), ST_SEED (20240115), ST_WORKERS (1: with one worker a seed replays the same
# run), ST_REPORT_DIR (if set, a JUnit report is written there).
#
# Flag names are those of schemathesis 4 (checked on 4.32.5, `st run --help`); 3.x spelled several differently:
#   -n/--max-examples          3.x: --hypothesis-max-examples
#   --seed                     3.x: --hypothesis-seed
#   --generation-database none 3.x: --hypothesis-database=none
#   -c/--checks a,b,c          3.x: -c a -c b -c c
#   --report junit --report-junit-path FILE   3.x: --junit-xml FILE
#   --generation-with-security-parameters false   (new in 4.x: else it also invents X-API-Key values, and a
#                              request with both credentials is a 401 that tests nothing)
#   --wait-for-schema, --request-timeout, -H, --workers: unchanged
# and the CLI module is `python3 -m schemathesis.cli` (the `st` script is the same entry point).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BASE_URL TOKEN [extra st run arguments...]" >&2
  exit 2
fi
base_url="${1%/}"
token="$2"
shift 2

root="$(cd "$(dirname "$0")/../../.." && pwd)"
document_file="$root/Sources/CloudRelay/OpenAPI/openapi.json"
schema_url="$base_url/api/v1/openapi.json"

# The pin lives in one place: the pip line of scripts/bootstrap.sh.
pinned="$(grep -o 'schemathesis==[0-9][0-9.]*' "$root/scripts/bootstrap.sh" | head -n 1 | cut -d= -f3)"
if [ -z "$pinned" ]; then
  echo "run_schemathesis: no schemathesis==VERSION in scripts/bootstrap.sh" >&2
  exit 1
fi
if ! installed="$(python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null)"; then
  echo "run_schemathesis: schemathesis is not installed; run scripts/bootstrap.sh" >&2
  exit 1
fi
if [ "$installed" != "$pinned" ]; then
  echo "run_schemathesis: schemathesis $installed is installed, scripts/bootstrap.sh pins $pinned" >&2
  exit 1
fi

echo "== the served document ($schema_url)"
python3 - "$schema_url" "$token" "$document_file" <<'PY'
import json
import sys
import time
import urllib.error
import urllib.request

from openapi_spec_validator import validate

url, token, path = sys.argv[1:4]
request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
deadline = time.monotonic() + 30  # the relay may still be starting
while True:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            served = response.read()
            content_type = response.headers.get("Content-Type", "")
        break
    except urllib.error.HTTPError as error:
        sys.exit(f"run_schemathesis: GET {url} answered {error.code}: {error.read()[:500].decode(errors='replace')}")
    except (urllib.error.URLError, ConnectionError) as error:
        if time.monotonic() > deadline:
            sys.exit(f"run_schemathesis: GET {url} failed for 30 s: {error}")
        time.sleep(0.5)
if not content_type.startswith("application/json"):
    sys.exit(f"run_schemathesis: {url} is served as {content_type!r}, not application/json")
with open(path, "rb") as file:
    source = file.read()
if served != source:
    sys.exit(f"run_schemathesis: the served document differs from {path}; is the installed PulseBMS_CloudRelay.resources out of date?")
document = json.loads(served)
validate(document)
operations = sum(1 for item in document["paths"].values() for key in item if key != "parameters")
print(f"OpenAPI {document['openapi']}, {len(document['paths'])} paths, {operations} operations: valid, same as {path}")
PY

report=()
if [ -n "${ST_REPORT_DIR:-}" ]; then
  mkdir -p "$ST_REPORT_DIR"
  report=(--report junit --report-junit-path "$ST_REPORT_DIR/schemathesis-junit.xml")
fi

command=(
  python3 -m schemathesis.cli run "$schema_url"
  --header "Authorization: Bearer $token"
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
  --max-examples "${ST_MAX_EXAMPLES:-25}"
  --seed "${ST_SEED:-20240115}"
  --workers "${ST_WORKERS:-1}"
  --generation-database none
  --generation-with-security-parameters false
  --wait-for-schema 30
  --request-timeout 10
  --no-color
  "${report[@]}"
  "$@"
)
echo "== schemathesis $installed"
# The command as run, with the token masked (schemathesis itself prints it as [Filtered]).
for argument in "${command[@]}"; do
  [ "$argument" = "Authorization: Bearer $token" ] && argument="Authorization: Bearer [token]"
  printf '%q ' "$argument"
done
echo
"${command[@]}"
