#!/usr/bin/env bash
# Builds the freestanding image (release), runs it in both its modes, and checks that
#   - its code is formatted and clippy-clean;
#   - offline (no CREDCHAIN_IMDS_ENDPOINT): it exits 0 and prints what the embedded files hold
#     (the lines below, written by hand from data/credentials and data/imds-role-credentials.json),
#     and never a secret; botocore, when python3 has it, reads the same files the same way;
#   - network (CREDCHAIN_IMDS_ENDPOINT set): against credchain-server's IMDS on loopback (its
#     `imds` example, started here with made-up credentials and IMDSv2 required), it fetches the
#     role credentials over a raw-syscall TCP socket: the access key id, expiry and token length
#     it prints are what the server serves, no secret is printed, the server's transcript shows
#     the token PUT and both GETs carrying the token over one connection, and botocore, when
#     python3 has it, gets the same credentials from the same server;
#   - it is a static executable: no dynamic section, no interpreter, no undefined symbol;
#   - its symbol table (kept on purpose) holds no allocator and no libc allocation function;
#   - the mem* functions it defines call nothing (a memcpy compiled into a call to memcpy would
#     recurse forever).
# Prints one PASS/FAIL line per check and a summary; exits non-zero if any check failed.
#
#   tests/freestanding/check.sh
# The image's target directory is $CARGO_TARGET_DIR/freestanding when CARGO_TARGET_DIR is set,
# tests/freestanding/target otherwise; the IMDS server example is built in the main workspace's
# target directory ($CARGO_TARGET_DIR, or target/ at the root of the repository).
set -uo pipefail
caller=$(pwd)
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)

if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    case "$CARGO_TARGET_DIR" in
        /*) target_dir="$CARGO_TARGET_DIR/freestanding" ;;
        *) target_dir="$caller/$CARGO_TARGET_DIR/freestanding" ;;
    esac
else
    target_dir="$(pwd)/target"
fi
image="$target_dir/x86_64-unknown-linux-gnu/release/credchain-freestanding"
# The main workspace's target directory, for the IMDS server example.
server_target_dir="${target_dir%/freestanding}"
[ -n "${CARGO_TARGET_DIR:-}" ] || server_target_dir="$repo/target"
server_bin="$server_target_dir/debug/examples/imds"

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
info() { printf '      %s\n' "$*"; }

# --- build ---------------------------------------------------------------------------------
if CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --quiet; then
    pass "build (release, static, no start files, no libc)"
else
    fail "build"
    echo "freestanding image: 1 check failed (the build); nothing else can be checked"
    exit 1
fi

# The image is its own workspace, which the main workspace's fmt and clippy runs do not reach.
if cargo fmt --check >/dev/null; then
    pass "cargo fmt --check"
else
    fail "cargo fmt --check (run cargo fmt in tests/freestanding)"
fi
if CARGO_TARGET_DIR="$target_dir" cargo clippy --release --locked --quiet -- -D warnings; then
    pass "cargo clippy, no warnings"
else
    fail "cargo clippy, no warnings"
fi

# --- run -----------------------------------------------------------------------------------
scratch=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
# An empty environment: the image must need nothing from outside.
env -i timeout 10 "$image" >"$scratch/out" 2>"$scratch/err"
status=$?
if [ "$status" -eq 0 ]; then
    pass "runs and exits 0"
else
    fail "runs and exits 0 (exit status $status)"
    sed 's/^/      stderr: /' "$scratch/err"
fi
if [ -s "$scratch/err" ]; then
    fail "writes nothing to standard error"
    sed 's/^/      stderr: /' "$scratch/err"
else
    pass "writes nothing to standard error"
fi
sed 's/^/      | /' "$scratch/out"

# `in_order FILE [OUTPUT]`: whether the lines of FILE appear, whole and in that order, in OUTPUT
# (the offline output by default; other lines may come between them). Prints the first line it
# could not find.
in_order() {
    awk -v want="$1" '
        BEGIN { n = 0; i = 0; while ((getline line < want) > 0) w[n++] = line }
        i < n && $0 == w[i] { i++ }
        END {
            if (i == n) exit 0
            printf "      not found (in order): '\''%s'\''\n", w[i]
            exit 1
        }' "${2:-$scratch/out}"
}

# Every line the embedded inputs should produce, in order: written by hand from the two files.
cat >"$scratch/expected" <<'EOF_EXPECTED'
credchain-freestanding: no_std, no_main, no global allocator
mem self-test: memcpy memmove memset memcmp bcmp ok
credentials file: 3 profiles
profile "default"
  aws_access_key_id: AKIAIOSFODNN7EXAMPLE
  aws_secret_access_key: <40 bytes>
profile "dev"
  aws_access_key_id: ASIAQEXAMPLEDEV00001
  aws_secret_access_key: <40 bytes>
  aws_session_token: <37 bytes>
  s3: nested, 2 keys
profile "profile ci"
  aws_access_key_id: AKIAQEXAMPLECI000001
  aws_secret_access_key: <40 bytes>
  aws_session_token: <63 bytes>
IMDS role credentials
  Code: Success
  Type: AWS-HMAC
  AccessKeyId: ASIAQEXAMPLEIMDS0001
  SecretAccessKey: <40 bytes>
  Token: <57 bytes unescaped, 61 in the document>
  Expiration: 1777652469 = 2026-05-01T16:21:09Z
done: 3 profiles and 1 IMDS document, parsed without a heap
EOF_EXPECTED
if in_order "$scratch/expected"; then
    pass "prints the $(wc -l <"$scratch/expected") expected lines, in order"
else
    fail "prints the expected lines, in order"
fi

# The secrets of the embedded files, read from the files themselves, must not be printed.
leaked=0
while IFS= read -r secret; do
    [ -n "$secret" ] || continue
    if grep -Fq -- "$secret" "$scratch/out"; then
        leaked=$((leaked + 1))
    fi
done < <(
    sed -nE 's/^[[:space:]]*aws_(secret_access_key|session_token)[[:space:]]*[=:][[:space:]]*(.+)$/\2/Ip' data/credentials
    sed -nE 's/^[[:space:]]*"(SecretAccessKey|Token)"[[:space:]]*:[[:space:]]*"([^"]+)".*$/\2/p' data/imds-role-credentials.json
)
if [ "$leaked" -eq 0 ]; then
    pass "prints no secret or session token"
else
    fail "prints no secret or session token ($leaked found in the output)"
fi

# --- botocore as the oracle ----------------------------------------------------------------
# botocore reads the same two files; every line it derives must be in the image's output, in
# the same order (profiles and keys in file order, as raw_config_parse lists them).
if python3 -c 'import botocore' 2>/dev/null; then
    if python3 - data/credentials data/imds-role-credentials.json >"$scratch/oracle" <<'PY'
import json, sys
from botocore.configloader import raw_config_parse
from botocore.utils import parse_timestamp

creds_path, imds_path = sys.argv[1], sys.argv[2]
profiles = raw_config_parse(creds_path)
print(f"credentials file: {len(profiles)} profiles")
for name, section in profiles.items():
    print(f'profile "{name}"')
    for key, value in section.items():
        if isinstance(value, dict):
            print(f"  {key}: nested, {len(value)} keys")
        elif key == "aws_access_key_id":
            print(f"  {key}: {value}")
        elif key in ("aws_secret_access_key", "aws_session_token"):
            print(f"  {key}: <{len(value.encode())} bytes>")

raw = open(imds_path, encoding="utf-8").read()
doc = json.loads(raw)
print("IMDS role credentials")
print(f"  Code: {doc['Code']}")
print(f"  Type: {doc['Type']}")
print(f"  AccessKeyId: {doc['AccessKeyId']}")
print(f"  SecretAccessKey: <{len(doc['SecretAccessKey'].encode())} bytes>")
escaped = raw.split('"Token"', 1)[1].split('"', 2)[1]
print(f"  Token: <{len(doc['Token'].encode())} bytes unescaped, {len(escaped)} in the document>")
when = parse_timestamp(doc["Expiration"])
print(f"  Expiration: {int(when.timestamp())} = {when.strftime('%Y-%m-%dT%H:%M:%SZ')}")
PY
    then
        total=$(wc -l <"$scratch/oracle")
        if in_order "$scratch/oracle"; then
            pass "agrees with botocore $(python3 -c 'import botocore; print(botocore.__version__)') on all $total lines it derives, in order"
        else
            fail "agrees with botocore on the $total lines it derives"
        fi
    else
        fail "botocore oracle script"
    fi
else
    info "SKIP  botocore cross-check (python3 cannot import botocore)"
fi

# --- network mode: role credentials from an IMDS over a socket ------------------------------
# Made-up credentials for the server to serve; the session token has characters JSON may escape.
served_key=ASIAFREESTANDING0042
served_secret='c2VjcmV0LWZvci10aGUtZnJlZXN0YW5kaW5nLWltYWdl/+x'
served_token='IQoJb3JpZ2luX2VjFREESTANDING/socket+token/not/real/0123456789=='
served_expiration=2031-02-03T04:05:06Z
served_unix=$(date -u -d "$served_expiration" +%s)
server_ready=0
# Built from the repository's root: cargo reads the .cargo/config.toml of the directory it runs
# in, and this directory's (static, no start files) is for the image only.
if (cd "$repo" && CARGO_TARGET_DIR="$server_target_dir" cargo build -p credchain-server \
    --example imds --locked --quiet); then
    pass "build the IMDS server (credchain-server, example imds)"
    mkfifo "$scratch/server-in"
    CREDCHAIN_SERVE_ACCESS_KEY_ID="$served_key" \
        CREDCHAIN_SERVE_SECRET_ACCESS_KEY="$served_secret" \
        CREDCHAIN_SERVE_SESSION_TOKEN="$served_token" \
        CREDCHAIN_SERVE_EXPIRATION="$served_expiration" \
        "$server_bin" <"$scratch/server-in" >"$scratch/server-out" 2>"$scratch/server-err" &
    server_pid=$!
    # The server runs until its standard input closes: this descriptor is its only writer.
    exec 9>"$scratch/server-in"
    for _ in $(seq 200); do
        grep -q '^endpoint ' "$scratch/server-out" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    endpoint=$(sed -n 's/^endpoint //p' "$scratch/server-out")
    served_role=$(sed -n 's/^role //p' "$scratch/server-out")
    if [ -n "$endpoint" ] && grep -qx "access_key_id $served_key" "$scratch/server-out"; then
        pass "IMDS server listening at $endpoint (IMDSv2 required)"
        server_ready=1
    else
        fail "IMDS server did not start"
        sed 's/^/      server: /' "$scratch/server-err"
    fi
else
    fail "build the IMDS server (credchain-server, example imds)"
fi

if [ "$server_ready" = 1 ]; then
    env -i CREDCHAIN_IMDS_ENDPOINT="$endpoint" timeout 10 "$image" \
        >"$scratch/net-out" 2>"$scratch/net-err"
    status=$?
    if [ "$status" -eq 0 ] && [ ! -s "$scratch/net-err" ]; then
        pass "network mode runs, exits 0, writes nothing to standard error"
    else
        fail "network mode runs and exits 0 (exit status $status)"
        sed 's/^/      stderr: /' "$scratch/net-err"
    fi
    sed 's/^/      | /' "$scratch/net-out"
    cat >"$scratch/net-expected" <<EOF_NET
credchain-freestanding: no_std, no_main, no global allocator
mem self-test: memcpy memmove memset memcmp bcmp ok
IMDS endpoint: $endpoint
IMDSv2 token: acquired, 21600 s lifetime (echoed by the server), kept for the next fetch
IMDS role: $served_role
IMDS role credentials
  AccessKeyId: $served_key
  SecretAccessKey: <${#served_secret} bytes>
  Token: <${#served_token} bytes>
  Expiration: $served_unix = $served_expiration
connections: 1 opened, 3 responses
done: role credentials fetched over TCP, without a heap
EOF_NET
    if in_order "$scratch/net-expected" "$scratch/net-out"; then
        pass "fetches what the server serves: access key id, secret and token lengths, expiry"
    else
        fail "fetches what the server serves"
    fi
    if grep -Fq -- "$served_secret" "$scratch/net-out" || grep -Fq -- "$served_token" "$scratch/net-out"; then
        fail "network mode prints no secret or session token"
    else
        pass "network mode prints no secret or session token"
    fi

    # botocore against the same server: the same credentials.
    if python3 -c 'import botocore' 2>/dev/null; then
        if python3 - "$endpoint" >"$scratch/botocore-net" 2>"$scratch/botocore-net-err" <<'PY'
import sys
from botocore.utils import InstanceMetadataFetcher
fetcher = InstanceMetadataFetcher(
    timeout=2, num_attempts=1, config={"ec2_metadata_service_endpoint": sys.argv[1]}
)
creds = fetcher.retrieve_iam_role_credentials()
print(f"  AccessKeyId: {creds['access_key']}")
print(f"  SecretAccessKey: <{len(creds['secret_key'].encode())} bytes>")
print(f"  Token: <{len(creds['token'].encode())} bytes>")
print(f"  Expiration: {creds['expiry_time']}")
PY
        then
            # botocore gives the expiry as written; the image prints "unix = written".
            sed -E 's/^  Expiration: (.*)$/  Expiration: '"$served_unix"' = \1/' \
                "$scratch/botocore-net" >"$scratch/botocore-net-expected"
            if in_order "$scratch/botocore-net-expected" "$scratch/net-out"; then
                pass "agrees with botocore fetching from the same server"
            else
                fail "agrees with botocore fetching from the same server"
                sed 's/^/      botocore: /' "$scratch/botocore-net"
            fi
        else
            fail "botocore fetch from the server"
            sed 's/^/      /' "$scratch/botocore-net-err"
        fi
    else
        info "SKIP  botocore fetch from the same server (python3 cannot import botocore)"
    fi

    # Stop the server (close its standard input) and read its transcript.
    exec 9>&-
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        fail "IMDS server stops when its input closes"
    else
        wait "$server_pid"
        server_pid=
        pass "IMDS server stopped"
    fi
    # The image's three requests come first; botocore's (if it ran) follow.
    cat >"$scratch/transcript-expected" <<EOF_TRANSCRIPT
request 0 connection 0/0 PUT /latest/api/token 200 issued
request 1 connection 0/1 GET /latest/meta-data/iam/security-credentials/ 200 valid
request 2 connection 0/2 GET /latest/meta-data/iam/security-credentials/$served_role 200 valid
EOF_TRANSCRIPT
    grep '^request ' "$scratch/server-out" | head -3 >"$scratch/transcript"
    sed 's/^/      server: /' "$scratch/transcript"
    if cmp -s "$scratch/transcript-expected" "$scratch/transcript"; then
        pass "server transcript: token PUT, then both GETs with a valid token, on one connection"
    else
        fail "server transcript: token PUT, then both GETs with a valid token, on one connection"
    fi
else
    exec 9>&- 2>/dev/null
fi

# --- a static executable -------------------------------------------------------------------
elf_type=$(readelf -h "$image" | sed -nE 's/^[[:space:]]*Type:[[:space:]]*([A-Z]+).*/\1/p')
if [ "$elf_type" = EXEC ]; then
    pass "ELF type EXEC (static, not PIE)"
else
    fail "ELF type EXEC (found: $elf_type)"
fi
if readelf -d "$image" | grep -q 'There is no dynamic section'; then
    pass "no dynamic section (no shared library, no libc)"
else
    fail "no dynamic section"
    readelf -d "$image" | sed 's/^/      /'
fi
if readelf -l "$image" | grep -Eq 'INTERP|Requesting program interpreter'; then
    fail "no program interpreter"
else
    pass "no program interpreter"
fi
undefined=$(nm -u "$image")
if [ -z "$undefined" ]; then
    pass "no undefined symbol"
else
    fail "no undefined symbol: $(echo "$undefined" | tr -s ' \n' ' ')"
fi
entry=$(readelf -h "$image" | sed -nE 's/^[[:space:]]*Entry point address:[[:space:]]*0x0*([0-9a-f]+).*/\1/p')
start=$(nm "$image" | awk '$3 == "_start" { sub(/^0+/, "", $1); print $1 }')
if [ -n "$entry" ] && [ "$entry" = "$start" ]; then
    pass "entry point is our _start (0x$entry)"
else
    fail "entry point is our _start (entry 0x$entry, _start 0x$start)"
fi

# --- no allocator --------------------------------------------------------------------------
nm "$image" >"$scratch/syms"
nm -C "$image" >"$scratch/syms-demangled"
symbols=$(wc -l <"$scratch/syms")
if [ "$symbols" -gt 0 ]; then
    pass "symbol table present ($symbols symbols)"
else
    fail "symbol table present (the image is stripped: the allocator check would prove nothing)"
fi
# Rust's allocator shims (current rustc mangles them as `__rustc::__rust_alloc` & co., hence a
# match anywhere in the name), libc's allocation functions by exact name, and anything from the
# `alloc` crate or naming `GlobalAlloc`, in raw and demangled form.
rust_allocator='__rust_(alloc|dealloc|realloc|no_alloc_shim)|__rg_|__rdl_|GlobalAlloc'
libc_allocator='malloc|calloc|realloc|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|reallocarray'
found=$(
    awk '{ print $NF }' "$scratch/syms" | grep -Ex "($libc_allocator)"
    grep -E "$rust_allocator|_ZN5alloc|_5alloc[0-9A-Z_]" "$scratch/syms"
    grep -E "$rust_allocator|alloc::" "$scratch/syms-demangled"
)
if [ -z "$found" ]; then
    pass "no allocator symbol (__rust_alloc & co., malloc & co., alloc::, GlobalAlloc)"
else
    fail "no allocator symbol; found:"
    echo "$found" | sort -u | sed 's/^/      /'
fi

# --- the mem* functions --------------------------------------------------------------------
for f in memcpy memmove memset memcmp bcmp; do
    if ! awk -v f="$f" '$3 == f && $2 == "T" { ok = 1 } END { exit !ok }' "$scratch/syms"; then
        fail "$f defined by the image"
        continue
    fi
    # Any call, and any jump except to a label inside the function itself (a loop), counts: a
    # jump to its own first instruction would be a tail call to itself.
    outside=$(objdump -d --no-show-raw-insn --disassemble="$f" "$image" |
        grep -E '[[:space:]](call[a-z]*|j[a-z]+)[[:space:]]' |
        grep -Ev "[[:space:]]j[a-z]+[[:space:]]+[0-9a-f]+ <$f\+0x[0-9a-f]+>" || true)
    if [ -z "$outside" ]; then
        pass "$f defined by the image and calls nothing"
    else
        fail "$f branches out of itself: $(echo "$outside" | tr -s ' \t\n' ' ')"
    fi
done

# --- summary -------------------------------------------------------------------------------
size=$(stat -c %s "$image")
credchain_syms=$(grep -c 'credchain' "$scratch/syms-demangled" || true)
echo
echo "freestanding image: $image"
echo "  size: $size bytes; symbols: $symbols ($credchain_syms from credchain crates)"
if [ "$failures" -eq 0 ]; then
    echo "freestanding image: all checks passed"
else
    echo "freestanding image: $failures check(s) FAILED"
    exit 1
fi
