#!/usr/bin/env bash
# Makes the tcpdial CLI installable on a machine without a JDK:
#   dist/tcpdial-VERSION-linux-ARCH.tar.gz   a Java runtime of just the modules it needs (jlink),
#                                             the launcher, the jar, the man page, bash completion
#   dist/tcpdial_VERSION_ARCH.deb             the same, installed under /usr/lib/tcpdial, with
#                                             /usr/bin/tcpdial, the man page and the completion,
#                                             and tcpdial serve as a hardened system service
#                                             (deploy/debian: the unit, /etc/default/tcpdial-serve,
#                                             /etc/tcpdial/serve.yml, the maintainer scripts)
# Both run with native access and the sun.nio.ch export, serve with the long-running JVM flags
# and everything else with the quick-start ones (scripts/jvm-flags.sh), and keep class-data-sharing
# archives (scripts/dist-launcher.sh says where and when they are made).
#   scripts/dist.sh [--tar-only]     (./mvnw -Pdist package runs it too)
# The .deb needs jpackage's tools: dpkg-deb and fakeroot (scripts/setup-test-deps.sh installs them).
set -euo pipefail
root=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
. "$root/scripts/jdk.sh"
tcpdial_find_jdk || exit 1
. "$root/scripts/jvm-flags.sh"
tar_only=0
[ "${1:-}" = "--tar-only" ] && tar_only=1
bin="$JAVA_HOME/bin"
cd "$root"
jar=tcpdial-cli/target/tcpdial.jar
if [ -z "${TCPDIAL_DIST_NO_BUILD:-}" ]; then
  ./mvnw -B -ntp -q package -pl tcpdial-cli -am -DskipTests -Dmaven.javadoc.skip \
    -Dmaven.source.skip -Dcyclonedx.skip
fi
version=$(unzip -p "$jar" dev/tcpdial/cli/version.properties | sed -n 's/^version=//p')
case "$(uname -m)" in
  x86_64) arch=x86_64; deb_arch=amd64 ;;
  aarch64) arch=aarch64; deb_arch=arm64 ;;
  *) arch=$(uname -m); deb_arch=$arch ;;
esac
out="$root/dist"
work="$out/work"
rm -rf "$work"
mkdir -p "$work"

# The modules: what jdeps finds in the jar, plus those the exporter and the JVM metrics use
# (java.management, jdk.management) so a build with them keeps working. Not
# java.desktop: Jackson refers to java.beans only for annotations it reads when present.
found=$("$bin/jdeps" --multi-release "$(tcpdial_java_version "$JAVA_HOME")" --ignore-missing-deps --print-module-deps \
  "$jar" 2>/dev/null || true)
[ -n "$found" ] || found=java.base
modules=$(printf '%s\n' ${found//,/ } jdk.jfr jdk.unsupported java.management \
  jdk.management | grep -vx 'java.desktop' | sort -u | paste -sd, -)
"$bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --strip-native-debug-symbols=exclude-debuginfo-files --compress=zip-9 --generate-cds-archive \
  --output "$work/runtime"
# The archive for a heap of 32 GB or more (no compressed oops) is of no use to a CLI: 14 MB less.
rm -f "$work/runtime/lib/server/classes_nocoops.jsa"

# The application image: jpackage's layout (bin/, lib/app/, lib/runtime/), with our launcher
# script in place of jpackage's native one: it runs the jar with -jar, so the manifest grants native
# access and the export (given on the command line they would disable the runtime's archived module
# graph, with an error line at every start), and it keeps the CLI's class-data archive.
mkdir -p "$work/input"
cp "$jar" "$work/input/tcpdial.jar"
"$bin/jpackage" --type app-image --name tcpdial --dest "$work/image" --input "$work/input" \
  --main-jar tcpdial.jar --main-class dev.tcpdial.cli.Launcher --runtime-image "$work/runtime" \
  --app-version "${version%%-*}" --vendor "The tcpdial authors" \
  --description "TCP connects with every failure named exactly"
app="$work/image/tcpdial"
# jpackage's native launcher library is not used (bin/tcpdial is our script); the runtime's
# binaries lose their symbol tables (the dynamic symbols stay, so crash reports still name
# functions): 5 MB less, and no unstripped binary in the .deb
rm -f "$app/lib/libapplauncher.so"
find "$app/lib/runtime" -type f | while read -r f; do
  if [ "$(od -An -tx1 -N4 "$f" | tr -d ' \n')" = 7f454c46 ]; then strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"; fi
done
sed -e "s|@VERSION@|$version|" -e "s|@QUICK_FLAGS@|$TCPDIAL_QUICK_FLAGS|g" \
  -e "s|@SERVE_FLAGS@|$TCPDIAL_SERVE_FLAGS|g" scripts/dist-launcher.sh > "$app/bin/tcpdial"
chmod 755 "$app/bin/tcpdial"
mkdir -p "$app/share/man/man1" "$app/share/bash-completion/completions"
"$app/bin/tcpdial" man > "$app/share/man/man1/tcpdial.1"
"$app/bin/tcpdial" completion > "$app/share/bash-completion/completions/tcpdial"
rm -f "$app/lib/app/tcpdial.jsa"
cp LICENSE NOTICE "$app/"
cp -r licenses "$app/"

# The tarball: tcpdial-VERSION/ with bin/tcpdial, lib/, share/.
name="tcpdial-$version-linux-$arch"
rm -rf "$work/$name"
cp -a "$app" "$work/$name"
tar -C "$work" -czf "$out/$name.tar.gz" "$name"
echo "dist: $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1))"
[ "$tar_only" = 1 ] && { rm -rf "$work"; exit 0; }

# The .deb: jpackage packs the image under /usr/lib/tcpdial; then /usr/bin/tcpdial, the man page,
# the completion and the service (deploy/debian) are added as files of the package (so dpkg
# removes them), the control file is written whole, and the maintainer scripts are ours:
# postinst makes the service's user and the CLI's CDS archive and enables the unit, prerm stops
# it, postrm purges what the package made at run time.
for tool in dpkg-deb fakeroot; do
  command -v "$tool" >/dev/null || { echo "dist: the .deb needs $tool (scripts/setup-test-deps.sh)" >&2; exit 1; }
done
deb_version=${version/-/\~}
"$bin/jpackage" --type deb --app-image "$app" --name tcpdial --dest "$work/deb" \
  --app-version "${version%%-*}" --install-dir /usr/lib --linux-package-name tcpdial \
  --linux-deb-maintainer "dev@tcpdial.dev" --linux-app-category net \
  --about-url "https://github.com/tcpdial/tcpdial" --license-file LICENSE \
  --description "TCP connects with every failure named exactly"
tree="$work/deb/tree"
fakeroot sh -c "dpkg-deb -R '$(ls "$work"/deb/*.deb)' '$tree'"
# jpackage's Depends (what dpkg-shlibdeps found for the runtime's libraries), kept
depends=$(sed -n 's/^Depends: //p' "$tree/DEBIAN/control" | sed 's/ *, */, /g; s/ *$//')
rm -rf "$tree/DEBIAN" "$tree/usr/share/doc"
mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$tree/usr/share/man/man1" \
  "$tree/usr/share/bash-completion/completions" "$tree/usr/share/doc/tcpdial" \
  "$tree/usr/share/lintian/overrides" "$tree/lib/systemd/system" "$tree/etc/default" \
  "$tree/etc/tcpdial"
ln -s ../lib/tcpdial/bin/tcpdial "$tree/usr/bin/tcpdial"
gzip -9n < "$app/share/man/man1/tcpdial.1" > "$tree/usr/share/man/man1/tcpdial.1.gz"
# sourced by bash-completion, not run: no #! line
sed '1{/^#!/d}' "$app/share/bash-completion/completions/tcpdial" \
  > "$tree/usr/share/bash-completion/completions/tcpdial"
d=deploy/debian
install -m 644 "$d/tcpdial-serve.service" "$tree/lib/systemd/system/tcpdial-serve.service"
install -m 644 "$d/tcpdial-serve.default" "$tree/etc/default/tcpdial-serve"
install -m 644 "$d/serve.yml" "$tree/etc/tcpdial/serve.yml"
install -m 644 "$d/copyright" "$tree/usr/share/doc/tcpdial/copyright"
install -m 644 "$d/lintian-overrides" "$tree/usr/share/lintian/overrides/tcpdial"
# A native package's changelog: this project's, in Debian's format (one entry per version)
{
  echo "tcpdial ($deb_version) unstable; urgency=medium"
  echo
  echo "  * Release $version: see /usr/share/doc/tcpdial/CHANGELOG.md.gz."
  echo
  echo " -- The tcpdial authors <dev@tcpdial.dev>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$tree/usr/share/doc/tcpdial/changelog.gz"
gzip -9n < CHANGELOG.md > "$tree/usr/share/doc/tcpdial/CHANGELOG.md.gz"
install -m 755 "$d/postinst" "$d/prerm" "$d/postrm" "$tree/DEBIAN/"
printf '%s\n' /etc/default/tcpdial-serve /etc/tcpdial/serve.yml > "$tree/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
cat > "$tree/DEBIAN/control" <<CONTROL
Package: tcpdial
Version: $deb_version
Section: net
Priority: optional
Architecture: $deb_arch
Maintainer: The tcpdial authors <dev@tcpdial.dev>
Installed-Size: $size
Depends: ${depends:+$depends, }adduser
Homepage: https://github.com/tcpdial/tcpdial
Description: TCP connects with every failure named exactly
 tcpdial opens TCP connections and says exactly why one failed: refused
 (ECONNREFUSED), timeout, host_unreachable (EHOSTUNREACH), prohibited, ... in
 every locale. The tcpdial command checks, pings and scans; tcpdial serve is a
 Prometheus probe exporter, drop-in for blackbox_exporter's TCP probes, that
 also names the outcome and errno.
 .
 This package installs the command with its own Java runtime under
 /usr/lib/tcpdial, and tcpdial serve as the service tcpdial-serve (a hardened
 systemd unit running as the system user tcpdial, configured in
 /etc/default/tcpdial-serve and /etc/tcpdial/serve.yml).
CONTROL
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$work/md5sums"
mv "$work/md5sums" "$tree/DEBIAN/md5sums"
deb="$out/tcpdial_${deb_version}_${deb_arch}.deb"
fakeroot sh -c "chown -R root:root '$tree' && dpkg-deb -Zxz --build '$tree' '$deb'" >/dev/null
rm -rf "$work"
echo "dist: $deb ($(du -h "$deb" | cut -f1))"
