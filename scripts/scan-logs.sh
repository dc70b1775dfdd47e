#!/usr/bin/env bash
# Scans server logs for personal data and secrets: mobile numbers, 18-digit
# resident ID numbers, bearer tokens, session cookies, API keys, passwords and
# Authorization/Cookie header values. Exits 1 naming file, line and kind (never
# the value) when anything is found, 0 when the logs are clean.
# Usage: scripts/scan-logs.sh DIR_OR_FILE...      scripts/scan-logs.sh --self-test
set -uo pipefail

kinds=(mobile id_number bearer_token session_cookie secret_field api_key_param)
patterns=(
  '(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])'
  '(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])'
  '(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}'
  'linli_session=[^;"\s]{8,}'
  '(?i)"(authorization|cookie|set-cookie|x-api-key|api_key|password|new_password|token|session)"\s*:\s*"[^"]{4,}"'
  '(?i)api_key=[^&"\s]{8,}'
)

scan() {
  local found=0 files=()
  for arg in "$@"; do
    if [[ -d $arg ]]; then
      while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$arg" -type f -print0)
    elif [[ -f $arg ]]; then
      files+=("$arg")
    else
      echo "scan-logs: $arg: no such file or directory" >&2
      return 2
    fi
  done
  local lines=0
  for f in "${files[@]}"; do
    lines=$((lines + $(wc -l <"$f")))
    for i in "${!patterns[@]}"; do
      while IFS=: read -r n _; do
        [[ -n $n ]] || continue
        echo "scan-logs: $f:$n: ${kinds[$i]}" >&2
        found=1
      done < <(grep -naP -- "${patterns[$i]}" "$f" | cut -d: -f1)
    done
  done
  if ((found)); then
    echo "scan-logs: personal data or secrets found in the logs above (values not shown)" >&2
    return 1
  fi
  echo "scan-logs: ${#files[@]} log files, $lines lines, no personal data or secrets"
  return 0
}

self_test() {
  local dir rc=0
  dir=$(mktemp -d -t linli-scan.XXXXXX)
  trap 'rm -rf "$dir"' RETURN
  local planted=(
    '{"msg":"access","detail":"13812345678"}'
    '{"msg":"x","detail":"居民手机13812345678已登记"}'
    '{"msg":"x","q":"身份证 110101199003078515"}'
    '{"msg":"x","id":"11010119900307851X"}'
    '{"authorization":"Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}'
    'Cookie: linli_session=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
    '{"msg":"login","password":"Linli@2026"}'
    'GET /open311/v2/requests.json?api_key=0123456789abcdef HTTP/1.1'
  )
  local clean=(
    '{"ts":"2026-11-26T00:00:00.123Z","level":"info","msg":"access","request_id":"9f3c2a","method":"GET","route":"/api/v1/residents/{id}","status":200,"ms":3}'
    '{"msg":"x","at":1764115200000,"masked":"138****5678","count":12345678901234}'
    '{"msg":"x","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}'
    '{"msg":"access","request_id":"13812345678a44f1","route":"/api/v1/points/verify"}'
  )
  local i=0
  for line in "${planted[@]}"; do
    printf '%s\n' "$line" >"$dir/planted$i.log"
    if scan "$dir/planted$i.log" >/dev/null 2>&1; then
      echo "self-test: planted line $i was not caught: $line" >&2
      rc=1
    fi
    i=$((i + 1))
  done
  printf '%s\n' "${clean[@]}" >"$dir/clean.log"
  if ! scan "$dir/clean.log" >/dev/null 2>&1; then
    echo "self-test: a clean log was reported" >&2
    scan "$dir/clean.log"
    rc=1
  fi
  ((rc == 0)) && echo "self-test: ${#planted[@]} planted lines caught, clean log passes"
  return $rc
}

if [[ ${1:-} == --self-test ]]; then
  self_test
  exit $?
fi
[[ $# -gt 0 ]] || { echo "usage: $0 DIR_OR_FILE... | --self-test" >&2; exit 2; }
scan "$@"
