#!/usr/bin/env bash
# Builds the test Redis image (default countd-test-redis:local) from the host's own
# redis-server binary, so that no registry is needed: the image is FROM scratch and holds
# only the binary, the shared libraries `ldd` lists (loader included) and an empty /data.
#
#   test/support/redis-image/build.sh [image-tag]
#
# Env: COUNTD_TEST_REDIS_IMAGE (tag, if no argument), COUNTD_REDIS_SERVER (binary),
# DOCKER (client command, default docker).
set -euo pipefail

image=${1:-${COUNTD_TEST_REDIS_IMAGE:-countd-test-redis:local}}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

redis=${COUNTD_REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$redis" ] || [ ! -x "$redis" ]; then
  echo "build.sh: redis-server not found: apt-get install redis-server (or set COUNTD_REDIS_SERVER)" >&2
  exit 1
fi
redis=$(readlink -f "$redis")

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/usr/local/bin" "$root/data" "$root/tmp"
chmod 1777 "$root/tmp"
# Named redis-server: the Debian binary picks its mode (server, check-rdb…) from argv[0].
cp "$redis" "$root/usr/local/bin/redis-server"

# "libx.so => /path (0x…)" and the loader's "/lib64/ld-linux….so.2 (0x…)"; not linux-vdso.
ldd "$redis" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done

cp "$here/Dockerfile" "$ctx/Dockerfile"
"$docker" build --quiet -t "$image" "$ctx" >/dev/null
echo "built $image from $redis ($(du -sh "$root" | cut -f1) of binary and libraries)"
