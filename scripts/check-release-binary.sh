#!/usr/bin/env bash
# Checks the binary that `goreleaser build --snapshot --single-target` left in
# dist/: built the way .goreleaser.yml says, and a working Terraform plugin.
set -euo pipefail
dist=${1:-dist}

mapfile -t bins < <(find "$dist" -type f -name 'terraform-provider-intune_v*')
if [[ ${#bins[@]} -ne 1 ]]; then
  echo "want one provider binary in $dist, found ${#bins[@]}: ${bins[*]-}" >&2
  exit 1
fi
bin=${bins[0]}
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$dist/metadata.json")
fail() { echo "release-check: $bin: $*" >&2; exit 1; }

# Static, reproducible, stripped, and stamped with its version (-X main.version).
info=$(go version -m "$bin")
grep -q -- '-trimpath=true' <<<"$info" || fail "not built with -trimpath"
grep -q 'CGO_ENABLED=0' <<<"$info" || fail "not built with CGO_ENABLED=0"
if go tool nm "$bin" >/dev/null 2>&1; then fail "has a symbol table: not built with -s"; fi
[[ -n $version ]] && grep -aqF "$version" "$bin" || fail "does not contain its version $version"

# Started by hand, it must say it is a plugin and exit 1.
set +e
direct=$("$bin" 2>&1)
code=$?
set -e
[[ $code -eq 1 && $direct == *"This binary is a plugin"* ]] || fail "started directly: exit $code: $direct"

# Started as Terraform starts it, it must offer plugin protocol 6 over gRPC.
coproc plugin { TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 exec "$bin" 2>/dev/null; }
pid=$plugin_PID
handshake=""
read -r -t 30 handshake <&"${plugin[0]}" || true
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [[ $handshake == 1\|6\|unix\|* ]]; then
  socket=${handshake#1|6|unix|}
  rm -f "${socket%%|*}" # a killed plugin leaves its socket behind
fi
[[ $handshake =~ ^1\|6\|(unix|tcp)\|[^|]+\|grpc\| ]] || fail "no protocol 6 handshake, got: ${handshake:-nothing}"

echo "release-check: $bin"
echo "  version $version; -trimpath, CGO_ENABLED=0, stripped"
echo "  started directly: $(head -1 <<<"$direct")"
echo "  handshake: ${handshake%%|grpc|*}|grpc|..."
