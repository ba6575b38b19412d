#!/usr/bin/env bash
# Checks the deployment files as they stand:
# - deploy/systemd/ssecast.service passes `systemd-analyze verify` without a
#   word (ExecStart pointed at the built binary), and its TimeoutStopSec
#   leaves room for the drain the example flag file configures;
# - the server starts with deploy/ssecast.flags (addresses moved to free
#   ports), is ready, trusts the proxy the file names (the id cookie is
#   Secure for X-Forwarded-Proto: https from 127.0.0.1), and drains and
#   exits 0 on SIGTERM.
set -euo pipefail

root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
unit="${root}/deploy/systemd/ssecast.service"
flags="${root}/deploy/ssecast.flags"
ssecast="${root}/server/ssecast"
work="$(mktemp -d "${TEST_TMPDIR}/deploy.XXXXXX")"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- The unit.
sed "s#^ExecStart=/usr/local/bin/ssecast #ExecStart=${ssecast} #" "${unit}" \
  > "${work}/ssecast.service"
grep -q "^ExecStart=${ssecast} " "${work}/ssecast.service" ||
  fail "ExecStart=/usr/local/bin/ssecast ... not found in the unit"
if ! out="$(systemd-analyze verify "${work}/ssecast.service" 2>&1)"; then
  fail "systemd-analyze verify: ${out}"
fi
[ -z "${out}" ] || fail "systemd-analyze verify had something to say: ${out}"
for line in KillSignal=SIGTERM DynamicUser=yes Restart=on-failure \
    NoNewPrivileges=yes ProtectSystem=strict; do
  grep -qx "${line}" "${unit}" || fail "the unit lacks ${line}"
done
grep -q '^LimitNOFILE=[0-9]' "${unit}" || fail "the unit sets no LimitNOFILE"

seconds() {  # the value of --$1 in the flag file, in whole seconds ("5s")
  local value
  value="$(sed -n "s/^--$1=\([0-9]*\)s$/\1/p" "${flags}")"
  [ -n "${value}" ] || fail "--$1 is not set in seconds in ${flags}"
  echo "${value}"
}
stop_timeout="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "${unit}")"
[ -n "${stop_timeout}" ] || fail "TimeoutStopSec is not set in seconds"
# --publish_wait keeps its default (5s) in the example.
drain=$(( $(seconds drain_delay) + 5 + 2 * $(seconds shutdown_grace) ))
[ "${stop_timeout}" -gt "${drain}" ] ||
  fail "TimeoutStopSec=${stop_timeout}s does not cover the drain (${drain}s)"

# --- The flag file.
"${ssecast}" --flagfile="${flags}" --http_address=127.0.0.1:0 \
  --grpc_address=127.0.0.1:0 --admin_address=127.0.0.1:0 >"${work}/stdout" 2>"${work}/stderr" &
pid=$!
trap 'kill -KILL ${pid} 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  grep -q '^ssecast listening ' "${work}/stdout" && break
  kill -0 "${pid}" 2>/dev/null || fail "ssecast exited: $(cat "${work}/stderr")"
  sleep 0.1
done
http="$(sed -n 's/^ssecast listening http=\([^ ]*\) .*/\1/p' "${work}/stdout")"
[ -n "${http}" ] || fail "ssecast did not say where it listens"
ready="$(curl -s -o /dev/null -w '%{http_code}' "http://${http}/readyz")"
[ "${ready}" = 200 ] || fail "/readyz answered ${ready}"
cookie="$(curl -s -D - -o /dev/null --max-time 2 \
  -H 'X-Forwarded-Proto: https' "http://${http}/events" | tr -d '\r' |
  grep -i '^set-cookie:' || true)"
case "${cookie}" in
  *"; Secure") ;;
  *) fail "the cookie behind a trusted TLS proxy is not Secure: ${cookie}" ;;
esac
kill -TERM "${pid}"
status=0
wait "${pid}" || status=$?
trap - EXIT
[ "${status}" = 0 ] || fail "ssecast exited ${status}: $(cat "${work}/stderr")"
grep -q 'shutting down signal=Terminated drain_delay=5s' \
  "${work}/stderr" ||
  fail "no drain on SIGTERM: $(cat "${work}/stderr")"
echo "PASS: unit verified, flag file served and drained"
