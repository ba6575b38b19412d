#!/bin/bash
# Builds the libFuzzer targets in fuzz/ with Debian's clang (AddressSanitizer
# on the project's sources; the system libraries as packaged) and runs each
# for a bounded time on its seed corpus. Exits non-zero if any target fails
# to build or finds a crash, leak or abort; the reproducer is left in
# $FUZZ_OUT/<target>/ (crash-*), with the fuzzer's log beside it. Runs
# $FUZZ_JOBS targets at a time (default: one per core; a fuzzer keeps one
# core busy), so each gets the same time on a core as if run alone.
#
#   fuzz/run.sh [seconds per target, default 20] [target ...]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_EACH="${1:-20}"
shift || true
OUT="${FUZZ_OUT:-${TMPDIR:-/tmp}/ssecast-fuzz}"
CXX="${CXX_FUZZ:-clang++-14}"
ALL_TARGETS=(position cookie jwt identity accept_header broker_codec
             request_head)
[[ $# -gt 0 ]] && TARGETS=("$@") || TARGETS=("${ALL_TARGETS[@]}")

mkdir -p "$OUT/obj" "$OUT/gen"
FLAGS=(-std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address
       -DCPPHTTPLIB_OPENSSL_SUPPORT -DCPPHTTPLIB_ZLIB_SUPPORT
       -DCPPHTTPLIB_BROTLI_SUPPORT -I"$ROOT" -I"$OUT/gen")
LIBS=(-lcpp-httplib -lprotobuf -lssl -lcrypto
      -labsl_statusor -labsl_status -labsl_strerror -labsl_str_format_internal
      -labsl_cord -labsl_cordz_info -labsl_cord_internal -labsl_cordz_functions
      -labsl_cordz_handle -labsl_hash -labsl_city -labsl_low_level_hash
      -labsl_raw_hash_set -labsl_bad_variant_access -labsl_bad_optional_access
      -labsl_hashtablez_sampler -labsl_exponential_biased -labsl_synchronization
      -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize
      -labsl_debugging_internal -labsl_demangle_internal -labsl_malloc_internal
      -labsl_time -labsl_civil_time -labsl_time_zone -labsl_strings
      -labsl_strings_internal -labsl_int128 -labsl_base -labsl_spinlock_wait
      -labsl_throw_delegate -labsl_raw_logging_internal -labsl_log_severity
      -latomic -lpthread)

# The project's parsers and what they need, compiled once.
SOURCES=(
  server/hub/names.cc server/hub/position.cc server/hub/target.cc
  server/hub/client_record.cc server/hub/event.cc server/hub/sse_encoding.cc
  server/sse/accept_header.cc server/sse/cookie_client_id_provider.cc
  server/sse/claimed_client_id.cc server/sse/named_value_client_id_provider.cc
  server/sse/hs256_jwt.cc
  server/sse/jwt_parts.cc server/sse/public_key_jwt.cc
  server/sse/jwt_client_id_provider.cc server/sse/group_join_policy.cc
  server/sse/unambiguous_request.cc server/control/client_page_token.cc
  server/broker/broker_command_codec.cc server/sse/request_head_parser.cc
  server/sse/cookie_secure_policy.cc server/sse/trusted_proxies.cc
)
(cd "$ROOT" && protoc --cpp_out="$OUT/gen" server/broker/broker_command.proto)
JOBS="${FUZZ_JOBS:-$(nproc)}"
# Runs "$@" in the background once fewer than $JOBS such jobs run.
spawn() {
  while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n || true; done
  "$@" &
}

# Sources are compiled $JOBS at a time. A compile that fails leaves no
# object (not even an older one), so the check after them stops the run.
OBJECTS=()
compile() {  # source, object
  if [[ ! -f "$2" || "$1" -nt "$2" ]]; then
    rm -f "$2"
    "$CXX" "${FLAGS[@]}" -c "$1" -o "$2.tmp" && mv "$2.tmp" "$2"
  fi
}
add_object() {  # source, object
  OBJECTS+=("$2")
  spawn compile "$1" "$2"
}
add_object "$OUT/gen/server/broker/broker_command.pb.cc" "$OUT/obj/broker_command.pb.o"
for source in "${SOURCES[@]}"; do
  add_object "$ROOT/$source" "$OUT/obj/$(echo "$source" | tr / _).o"
done
wait
for object in "${OBJECTS[@]}"; do
  [[ -f "$object" ]] || { echo "!! compiling $object failed" >&2; exit 1; }
done

# Builds and runs one target, printing what it did; fails if it does not
# build or the fuzzer finds something.
fuzz() {  # target
  local target="$1" dir="$OUT/$1" binary="$OUT/$1_fuzzer"
  echo "== $target: building"
  if ! "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer \
      "$ROOT/fuzz/${target}_fuzzer.cc" "${OBJECTS[@]}" "${LIBS[@]}" \
      -o "$binary" 2>&1; then
    echo "!! $target FAILED to build"
    return 1
  fi
  echo "== $target: fuzzing for ${SECONDS_EACH}s"
  # New inputs go to the scratch corpus; the committed seeds stay as they are.
  if ! (cd "$dir" && "$binary" -max_total_time="$SECONDS_EACH" \
          -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
          "$dir/corpus" "$ROOT/fuzz/corpus/$target" >"$dir/log" 2>&1); then
    echo "!! $target FAILED; see $dir/log and $dir/crash-*"
    tail -n 40 "$dir/log"
    return 1
  fi
  grep -E "^stat::number_of_executed_units" "$dir/log" || true
}
# Targets run side by side (a fuzzer is one process on one core); each one's
# output goes to $OUT/<target>/report and its outcome to .../status, so the
# reports print in target order.
fuzz_aside() {  # target
  local dir="$OUT/$1"
  if fuzz "$1" >"$dir/report" 2>&1; then echo 0; else echo 1; fi >"$dir/status"
}
for target in "${TARGETS[@]}"; do
  mkdir -p "$OUT/$target/corpus"
  rm -f "$OUT/$target/status"
  spawn fuzz_aside "$target"
done
wait

failed=0
for target in "${TARGETS[@]}"; do
  cat "$OUT/$target/report"
  [[ "$(cat "$OUT/$target/status" 2>/dev/null)" == 0 ]] || failed=1
done
exit "$failed"
