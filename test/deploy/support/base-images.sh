#!/usr/bin/env bash
# Builds, from this machine's own binaries, the base images that Dockerfile and
# docker-compose.yml name, so that the stack builds and runs where no registry can be pulled
# from. Each image is FROM scratch: the binaries, the shared libraries `ldd` lists (loader
# included) and the few files they read, tagged with the name the stack uses:
#
#   node   (Dockerfile ARG NODE_IMAGE)      host node + npm (+ the host's npm CA setting, so
#                                           `npm ci` in the build reaches the registry), sh, env
#   redis  (image redis:* in compose)       host redis-server + redis-cli; protected mode off,
#                                           as in the official image
#   prom/prometheus:* (compose)             host prometheus (+ wget for the healthcheck)
#
# An image of that name that this script did not make (a real one, pulled) is left alone.
# One it made is rebuilt only when its inputs changed (label countd.base.inputs).
# Any other image the compose file names (Grafana) has no host binary: listed as missing.
#
#   test/deploy/support/base-images.sh          # prints one line per image, then `missing: …`
#
# Env: DOCKER (client, default docker), COUNTD_NODE_BIN, COUNTD_REDIS_SERVER, COUNTD_PROMETHEUS_BIN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
docker=${DOCKER:-docker}

node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' "$repo/Dockerfile" | head -n 1)
mapfile -t compose_images < <(sed -n "s/^ *image: *['\"]\{0,1\}\([^'\" ]*\).*/\1/p" "$repo/docker-compose.yml" | sort -u)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() {
  local path
  path=$(command -v "$1" || true)
  if [ -z "$path" ]; then
    echo "base-images.sh: $1 not found on this machine ($2)" >&2
    exit 1
  fi
  readlink -f "$path"
}

# copy_bin ROOT SRC DEST: the binary at DEST inside ROOT, and every library ldd lists for it.
copy_bin() {
  local root=$1 src=$2 dest=$3
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$src" "$root$dest"
  ldd "$src" 2>/dev/null |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
    sort -u | while read -r lib; do
      [ -e "$root$lib" ] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
}

# Common files: users, name resolution, /tmp.
base_rootfs() {
  local root=$1
  mkdir -p "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
  cat >"$root/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
}

# build TAG CONTEXT INPUTS: builds unless an image of ours with the same inputs (and the same
# Dockerfile and files besides the binaries) exists.
build() {
  local tag=$1 ctx=$2 inputs=$3 hash current
  hash=$( (
    printf '%s\n' "$inputs"
    cat "$ctx/Dockerfile"
    find "$ctx/rootfs" -type f \( -path '*/etc/*' -o -name '*.sh' \) -print0 | sort -z | xargs -0 cat
  ) | sha256sum | cut -c1-16)
  if current=$("$docker" image inspect --format '{{index .Config.Labels "countd.base.inputs"}}' "$tag" 2>/dev/null); then
    if [ -z "$current" ] || [ "$current" = '<no value>' ]; then
      echo "$tag: present and not made by this script: used as is"
      return
    fi
    if [ "$current" = "$hash" ]; then
      echo "$tag: up to date ($inputs)"
      return
    fi
  fi
  if ! "$docker" build --quiet --label "countd.base.inputs=$hash" --label "countd.base.from=$inputs" \
    -t "$tag" "$ctx" >"$work/build.log" 2>&1; then
    echo "base-images.sh: building $tag failed:" >&2
    cat "$work/build.log" >&2
    exit 1
  fi
  echo "$tag: built from $inputs ($(du -sh "$ctx/rootfs" | cut -f1))"
}

build_node() {
  local tag=$1 node npm_dir sh envbin ctx=$work/node root
  node=$(need "${COUNTD_NODE_BIN:-node}" 'Node.js')
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  sh=$(need dash 'apt-get install dash')
  envbin=$(need env 'coreutils')
  root=$ctx/rootfs
  base_rootfs "$root"
  mkdir -p "$ctx/home-node" "$root/usr/lib/node_modules" "$root/usr/etc" "$root/etc/ssl/certs"
  copy_bin "$root" "$node" /usr/bin/node
  copy_bin "$root" "$sh" /bin/sh
  copy_bin "$root" "$envbin" /usr/bin/env
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # npm inside the build must trust what the host's npm trusts to reach the registry.
  local cafile
  cafile=$(npm config get cafile 2>/dev/null || true)
  [ "$cafile" = null ] && cafile=
  cafile=${cafile:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}
  if [ -f "$cafile" ]; then
    cp -L "$cafile" "$root/etc/ssl/certs/ca-certificates.crt"
    echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$root/usr/etc/npmrc"
  fi
  local registry
  registry=$(npm config get registry 2>/dev/null || true)
  [ -n "$registry" ] && echo "registry=$registry" >>"$root/usr/etc/npmrc"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
# COPY makes everything root's; the user's home is the user's.
COPY --chown=1000:1000 home-node/ /home/node/
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
DOCKERFILE
  build "$tag" "$ctx" "node $("$node" --version), npm $(node "$npm_dir/bin/npm-cli.js" --version)"
}

build_redis() {
  local tag=$1 server cli sh ctx=$work/redis root
  server=$(need "${COUNTD_REDIS_SERVER:-redis-server}" 'apt-get install redis-server')
  cli=$(need redis-cli 'apt-get install redis-tools')
  sh=$(need dash 'apt-get install dash')
  root=$ctx/rootfs
  base_rootfs "$root"
  mkdir -p "$root/data"
  # Named redis-server: the Debian binary picks its mode (server, check-rdb…) from argv[0].
  copy_bin "$root" "$server" /usr/local/bin/redis-server
  copy_bin "$root" "$cli" /usr/local/bin/redis-cli
  copy_bin "$root" "$sh" /bin/sh
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# As the official image: `redis-server …` (or only options) runs with protected mode off,
# since the container's network is the boundary and no password is set by default.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  case " $* " in *" --protected-mode "*) ;; *) set -- "$@" --protected-mode no ;; esac
fi
exec "$@"
ENTRY
  chmod +x "$root/usr/local/bin/docker-entrypoint.sh"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE
  # Asked under its own name: the Debian binary answers as redis-check-rdb otherwise.
  build "$tag" "$ctx" "redis-server $("$root/usr/local/bin/redis-server" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
}

build_prometheus() {
  local tag=$1 prom wget ctx=$work/prometheus root
  prom=$(need "${COUNTD_PROMETHEUS_BIN:-prometheus}" 'apt-get install prometheus')
  wget=$(need wget 'apt-get install wget')
  root=$ctx/rootfs
  base_rootfs "$root"
  mkdir -p "$ctx/data" "$root/etc/prometheus"
  copy_bin "$root" "$prom" /bin/prometheus
  copy_bin "$root" "$wget" /bin/wget
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
# COPY makes everything root's; the data folder (copied into a new volume) is nobody's.
COPY --chown=65534:65534 data/ /prometheus/
ENV PATH=/bin:/usr/bin
USER nobody
WORKDIR /prometheus
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
  build "$tag" "$ctx" "$("$prom" --version 2>&1 | head -n 1 | cut -d' ' -f1-3)"
}

missing=()
[ -n "$node_image" ] && build_node "$node_image"
for image in "${compose_images[@]}"; do
  case "$image" in
    redis:*) build_redis "$image" ;;
    prom/prometheus:*) build_prometheus "$image" ;;
    countd:*) ;; # built from the Dockerfile by docker-compose
    *)
      if "$docker" image inspect "$image" >/dev/null 2>&1; then
        echo "$image: present"
      else
        missing+=("$image")
      fi
      ;;
  esac
done
echo "missing: ${missing[*]:-none}"
