#!/usr/bin/env bash
# `make container-test`: builds elf's image from a clean clone and runs it for real with podman
# (no Docker engine needed): --help as a non-root user; a container on the host network creating a
# thing on, streaming to, and cleaning up a stand-in running on the host; and `podman-compose up` of
# docker-compose.yml running the bootstrap flow against the `local` service with no credentials.
# Uses `podman` and `podman-compose` from PATH; on a machine where podman needs setting up, point
# ELF_CONTAINER_RUNTIME_SCRIPT at a script that writes a wrapper to $CONTAINER_HOME/podman (and
# $CONTAINER_HOME/containers.conf): that wrapper is then used instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
setup=${ELF_CONTAINER_RUNTIME_SCRIPT:-}
base=${CONTAINER_HOME:-/var/tmp/elf-containers}
say() { printf 'container-test: %s\n' "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

RT=podman
if [ -n "$setup" ]; then
  # the base image the Dockerfile names (the setup script tags its local base image with it)
  bash "$setup" "$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/Dockerfile")" >/dev/null
  RT=$base/podman
  export CONTAINERS_CONF=$base/containers.conf
fi
command -v "$RT" >/dev/null || fail "podman not found (set ELF_CONTAINER_RUNTIME_SCRIPT to a setup script)"
[ -d "$root/dist" ] || (cd "$root" && npm run build >/dev/null)
ELF="node $root/bin/elf.js"

work=$(mktemp -d /tmp/elf-container-test.XXXXXX)
standin_pid=
cleanup() {
  [ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null || true
  if [ -d "$work/clone" ]; then (cd "$work/clone" && podman-compose --podman-path "$RT" -p elfct down >/dev/null 2>&1 || true); fi
  rm -rf "$work"
}
trap cleanup EXIT

say "building the image from a clean clone"
git clone -q "$root" "$work/clone"
cd "$work/clone"
"$RT" build -q -t elf:test -t elf:latest . >/dev/null

say "elf --help runs in it, as a non-root user"
"$RT" run --rm elf:test --help | grep -q '^Usage: elf' || fail "elf --help"
uid=$("$RT" run --rm --entrypoint id elf:test -u)
[ "$uid" != 0 ] || fail "the image runs as root"

say "a container on the host network creates, streams to and cleans up a stand-in on the host"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mport=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
$ELF local --port "$port" --mqtt-port "$mport" --state-dir "$work/standin" > "$work/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 100); do grep -q 'control plane' "$work/standin.log" && break; sleep 0.2; done
mkdir -p "$work/fleet" && chown 1000:1000 "$work/fleet"
run() { "$RT" run --rm --network=host -v "$work/fleet:/app/misc" elf:test "$@"; }
run create 1 --endpoint-url "http://127.0.0.1:$port" | grep -q 'created 1 of 1 things' || fail "create in a container"
run send "hello from a container" --count 3 --interval 0.2 --json > "$work/send.json" || fail "send in a container"
node -e "const s=require('$work/send.json'); if (s.totals.acked !== 3) { console.error(JSON.stringify(s.totals)); process.exit(1) }" || fail "3 messages acknowledged"
run clean | grep -q 'removed 1 of 1 things' || fail "clean in a container"
kill "$standin_pid"; wait "$standin_pid" 2>/dev/null || true; standin_pid=
node -e "const r=require('$work/standin/registry.json'); if (r.things.length+r.certificates.length+r.policies.length) process.exit(1)" || fail "the stand-in still holds resources"

say "podman-compose up runs the bootstrap flow against the local service, with no credentials"
compose() { podman-compose --podman-path "$RT" -p elfct "$@"; }
mkdir -p misc .elf && chown 1000:1000 misc .elf
COMPOSE_PROFILES=local THINGS=1 DURATION=5 SAMPLE=data/radar-counts.json compose up -d >"$work/compose-up.log" 2>&1 || { cat "$work/compose-up.log"; fail "compose up"; }
"$RT" wait elfct_elf_1 >/dev/null
"$RT" logs elfct_elf_1 > "$work/compose.log" 2>&1
grep -q 'created 1 of 1 things' "$work/compose.log" || { cat "$work/compose.log"; fail "compose: create"; }
grep -Eq 'elf send: 1 things? ' "$work/compose.log" || { cat "$work/compose.log"; fail "compose: send"; }
grep -Eq 'messages: [1-9][0-9]* sent, [1-9][0-9]* acked, 0 failed' "$work/compose.log" || { cat "$work/compose.log"; fail "compose: delivery"; }
say "make clean's way: elf clean in the elf service, then down"
COMPOSE_PROFILES=local compose run --rm elf "node /app/bin/elf.js clean" > "$work/compose-clean.log" 2>&1 || true
grep -q 'removed 1 of 1 things' "$work/compose-clean.log" || { cat "$work/compose-clean.log"; fail "compose: clean"; }
COMPOSE_PROFILES=local compose down >/dev/null 2>&1
node -e "const r=require('$work/clone/.elf/local/registry.json'); if (r.things.length+r.certificates.length+r.policies.length) process.exit(1)" || fail "the compose stand-in still holds resources"
[ ! -e misc/things.json ] || fail "compose: the fleet state was not removed"
say "passed"
