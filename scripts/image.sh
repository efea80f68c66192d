#!/usr/bin/env bash
# Builds tcpdial's container image without a registry or a base image:
#   dist/tcpdial-VERSION-image.tar          an OCI image archive (index.json, and Docker's
#                                           manifest.json beside it): `podman load -i` or
#                                           `docker load -i` reads it as tcpdial:VERSION
#   dist/tcpdial-VERSION-image.cdx.json     its contents: a CycloneDX SBOM of the Debian packages,
#                                           the Java runtime and the jar's libraries
#   dist/tcpdial-VERSION-image.packages.txt the Debian packages, one a line
# The root file system is made from Debian's packages by mmdebstrap (libc6 for the Java runtime,
# busybox for the launcher's shell and its five commands; unpacked only, no package scripts run,
# no apt or dpkg in the image), the suite and mirror those of this machine's apt sources; on it
# the tarball of scripts/dist.sh goes to /opt/tcpdial. The image runs as user 65532 (tcpdial),
# with a read-only root file system (its class-data archives are made here, at build time),
# exposes 9115, and has the launcher as its entrypoint with `serve --web.listen-address :9115` as its
# command: `podman run IMAGE check HOST:PORT` runs a one-shot command instead.
#   scripts/image.sh        (as root: mmdebstrap and chroot; ./mvnw -Pdist package runs it too)
# Environment: TCPDIAL_IMAGE_NO_BUILD=1 uses the jar and tarball as they are;
# TCPDIAL_IMAGE_OPTIONAL=1 makes a missing prerequisite a message, not a failure.
set -euo pipefail
root=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
. "$root/scripts/jdk.sh"
tcpdial_find_jdk || exit 1
cd "$root"
missing() {
  echo "image: $*" >&2
  [ -n "${TCPDIAL_IMAGE_OPTIONAL:-}" ] && exit 0
  exit 1
}
[ "$(id -u)" = 0 ] || missing "needs root (mmdebstrap --mode=root, chroot for the archives); no image made"
for tool in mmdebstrap jq unshare chroot curl sha256sum; do
  command -v "$tool" >/dev/null || missing "needs $tool (scripts/setup-test-deps.sh --dist); no image made"
done

jar=tcpdial-cli/target/tcpdial.jar
bom=tcpdial-cli/target/tcpdial-cli-0.1.0-SNAPSHOT-cyclonedx.json
if [ -z "${TCPDIAL_IMAGE_NO_BUILD:-}" ]; then
  # the jar and its CycloneDX SBOM (the package phase makes both)
  ./mvnw -B -ntp -q package -pl tcpdial-cli -am -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip
fi
version=$(unzip -p "$jar" dev/tcpdial/cli/version.properties | sed -n 's/^version=//p')
bom=tcpdial-cli/target/tcpdial-cli-$version-cyclonedx.json
case "$(uname -m)" in
  x86_64) arch=x86_64; oci_arch=amd64 ;;
  aarch64) arch=aarch64; oci_arch=arm64 ;;
  *) arch=$(uname -m); oci_arch=$arch ;;
esac
out="$root/dist"
tgz="$out/tcpdial-$version-linux-$arch.tar.gz"
if [ ! -f "$tgz" ] || [ "$jar" -nt "$tgz" ]; then
  TCPDIAL_DIST_NO_BUILD=1 scripts/dist.sh --tar-only
fi

work="$out/image-work"
rm -rf "$work"
mkdir -p "$work"
rootfs="$work/rootfs"
# This machine's apt sources and suite: the image's libc is the one this machine's Debian ships.
. /etc/os-release
suite=${VERSION_CODENAME:?image: no VERSION_CODENAME in /etc/os-release}
sources=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)
[ -n "$sources" ] || sources=/etc/apt/sources.list
echo "image: root file system from Debian $suite (mmdebstrap, $sources)" >&2
# The extract hook runs while the downloaded packages are still there: it records them as a
# dpkg status file (so image scanners see what is installed) and as the package list.
mmdebstrap --quiet --mode=root --variant=extract --include=libc6,busybox --format=directory \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --extract-hook='for d in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb -f "$d"; echo "Status: install ok installed"; echo; done > "$1/../status"' \
  "$suite" "$rootfs" "$sources"
mkdir -p "$rootfs/var/lib/dpkg"
mv "$work/status" "$rootfs/var/lib/dpkg/status"
dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f '${Package} ${Version} ${Architecture}\n' \
  | sort > "$work/packages.txt"
# No package manager in the image: what apt left goes
rm -rf "$rootfs/etc/apt" "$rootfs/var/cache/apt" "$rootfs/var/lib/apt" "$rootfs/var/log/apt" \
  "$rootfs/etc/dpkg" "$rootfs/var/lib/dpkg/info" "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
# busybox: the shell and the commands the launcher uses
bb=
for b in bin/busybox usr/bin/busybox; do [ -x "$rootfs/$b" ] && bb=$b && break; done
[ -n "$bb" ] || { echo "image: busybox not found in the root file system" >&2; exit 1; }
for applet in sh dirname readlink mkdir mv rm; do
  [ -e "$rootfs/bin/$applet" ] || ln -s "/$bb" "$rootfs/bin/$applet"
done
# the user it runs as, and the files a C library looks for
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/usr/local/bin"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\ntcpdial:x:65532:65532:tcpdial serve:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ntcpdial:x:65532:\n' > "$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
# tcpdial: the tarball's tree
mkdir -p "$rootfs/opt/tcpdial"
tar -xzf "$tgz" -C "$rootfs/opt/tcpdial" --strip-components=1 --no-same-owner
ln -s /opt/tcpdial/bin/tcpdial "$rootfs/usr/local/bin/tcpdial"

# The class-data archives, made now so that the container needs no writable file system: the
# CLI's (training run --version) and the exporter's (serve answering a probe of itself and one
# /metrics), each run in the image's root (the archive records the jar's path) with a /proc of
# its own mount namespace, gone when the run ends. Nothing is dialed but the exporter's own
# loopback port.
in_root() { unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$rootfs" "$@"; }
in_root /opt/tcpdial/bin/tcpdial --version >/dev/null
port=$(
  for p in $(seq 19115 19215); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; break; fi
  done
)
unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$rootfs" \
  /opt/tcpdial/bin/tcpdial serve --web.listen-address "127.0.0.1:$port" >"$work/train.log" 2>&1 &
train=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/-/healthy" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/probe?target=127.0.0.1:$port" >/dev/null \
  || { cat "$work/train.log" >&2; kill "$train" 2>/dev/null; echo "image: the training serve did not answer" >&2; exit 1; }
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null
# SIGTERM to serve (unshare's child, the JVM by then); unshare ends when it has, after the
# archive is written
pkill -TERM -P "$train" 2>/dev/null || true
wait "$train" || true
for a in tcpdial.jsa serve.jsa; do
  [ -f "$rootfs/opt/tcpdial/lib/app/$a" ] || { cat "$work/train.log" >&2; echo "image: no $a made" >&2; exit 1; }
done
# what the runs left, and the device nodes mmdebstrap made (the runtime brings its own /dev)
rm -rf "$rootfs/tmp/"* "$rootfs/tmp/".[!.]* "$rootfs/root" "$rootfs/dev"
mkdir -p "$rootfs/dev"

# The layer, the config, the manifest, the index: an OCI image layout, tarred.
oci="$work/oci"
mkdir -p "$oci/blobs/sha256"
tar --numeric-owner --owner=0 --group=0 --sort=name -C "$rootfs" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -9n < "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$oci/blobs/sha256/$layer"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
labels=$(jq -n --arg v "$version" --arg r "$revision" --arg c "$created" '{
  "org.opencontainers.image.title": "tcpdial",
  "org.opencontainers.image.description": "tcpdial serve: a Prometheus probe exporter that names why a TCP connect failed; tcpdial check, ping, scan",
  "org.opencontainers.image.version": $v,
  "org.opencontainers.image.revision": $r,
  "org.opencontainers.image.created": $c,
  "org.opencontainers.image.source": "https://github.com/tcpdial/tcpdial",
  "org.opencontainers.image.url": "https://github.com/tcpdial/tcpdial",
  "org.opencontainers.image.documentation": "https://github.com/tcpdial/tcpdial#readme",
  "org.opencontainers.image.licenses": "Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0",
  "org.opencontainers.image.vendor": "The tcpdial authors",
  "org.opencontainers.image.ref.name": $v
}')
jq -n --arg arch "$oci_arch" --arg diff "sha256:$diff_id" --arg c "$created" --argjson labels "$labels" '{
  architecture: $arch, os: "linux", created: $c,
  config: {
    User: "65532:65532",
    Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent"],
    Entrypoint: ["/opt/tcpdial/bin/tcpdial"],
    Cmd: ["serve", "--web.listen-address", ":9115"],
    ExposedPorts: {"9115/tcp": {}},
    WorkingDir: "/",
    StopSignal: "SIGTERM",
    Labels: $labels
  },
  rootfs: {type: "layers", diff_ids: [$diff]},
  history: [{created: $c, created_by: "scripts/image.sh: Debian libc6 and busybox (mmdebstrap), tcpdial in /opt/tcpdial"}]
}' > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$oci/blobs/sha256/$config"
jq -n --arg config "sha256:$config" --argjson cs "$config_size" --arg layer "sha256:$layer" \
  --argjson ls "$layer_size" --argjson labels "$labels" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $config, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $layer, size: $ls}],
  annotations: $labels
}' > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$oci/blobs/sha256/$manifest"
echo '{"imageLayoutVersion": "1.0.0"}' > "$oci/oci-layout"
jq -n --arg m "sha256:$manifest" --argjson s "$manifest_size" --arg v "$version" --arg arch "$oci_arch" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $s,
    platform: {architecture: $arch, os: "linux"},
    annotations: {"io.containerd.image.name": ("tcpdial:" + $v), "org.opencontainers.image.ref.name": $v}}]
}' > "$oci/index.json"
# Docker's own description of the same blobs, for docker load
jq -n --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg v "$version" \
  '[{Config: $c, RepoTags: [("tcpdial:" + $v)], Layers: [$l]}]' > "$oci/manifest.json"
image="$out/tcpdial-$version-image.tar"
tar --numeric-owner --owner=0 --group=0 --sort=name -C "$oci" -cf "$image" .

# The SBOM: the Debian packages (purl pkg:deb), the Java runtime and its modules, and the
# components of the jar as its build listed them (the CLI's CycloneDX SBOM).
runtime_version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$rootfs/opt/tcpdial/lib/runtime/release")
runtime_modules=$(sed -n 's/^MODULES="\(.*\)"/\1/p' "$rootfs/opt/tcpdial/lib/runtime/release")
debian_version=$(cat /etc/debian_version)
jar_components='[]'
[ -f "$bom" ] && jar_components=$(jq '.components // []' "$bom")
jq -n --arg v "$version" --arg c "$created" --arg suite "$suite" --arg dv "$debian_version" \
  --arg rv "$runtime_version" --arg rm "$runtime_modules" --arg arch "$oci_arch" \
  --arg digest "sha256:$manifest" --argjson jar "$jar_components" \
  --rawfile pkgs "$work/packages.txt" '{
  bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
  metadata: {timestamp: $c,
    component: {type: "container", name: "tcpdial", version: $v,
      purl: ("pkg:oci/tcpdial@" + ($digest | @uri) + "?tag=" + $v),
      properties: [{name: "oci:manifest-digest", value: $digest}]}},
  components: (
    [$pkgs | split("\n")[] | select(length > 0) | split(" ") | {
      type: "library", name: .[0], version: .[1],
      purl: ("pkg:deb/debian/" + .[0] + "@" + .[1] + "?arch=" + .[2] + "&distro=debian-" + $dv),
      properties: [{name: "debian:suite", value: $suite}]}]
    + [{type: "framework", name: "java-runtime", version: $rv,
        description: "jlink image of Eclipse Temurin (opt/tcpdial/lib/runtime)",
        purl: ("pkg:generic/temurin-jre@" + $rv),
        properties: [{name: "jlink:modules", value: $rm}]}]
    + [{type: "application", name: "tcpdial.jar", version: $v,
        description: "opt/tcpdial/lib/app/tcpdial.jar", components: $jar}]
  )
}' > "$out/tcpdial-$version-image.cdx.json"
cp "$work/packages.txt" "$out/tcpdial-$version-image.packages.txt"
unpacked=$(du -sm "$rootfs" | cut -f1)
rm -rf "$work"
echo "image: $image ($(du -m "$image" | cut -f1) MB compressed, $unpacked MB unpacked; load: podman load -i $image)"
