#!/usr/bin/env bash
# Makes the tcpdial CLI installable on a machine without a JDK:
#   dist/tcpdial-VERSION-linux-ARCH.tar.gz   a Java runtime of just the modules it needs (jlink),
#                                             the launcher, the jar, the man page, bash completion
#   dist/tcpdial_VERSION_ARCH.deb             the same, installed under /usr/lib/tcpdial, with
#                                             /usr/bin/tcpdial, the man page and the completion
# Both run with native access and the sun.nio.ch export, and keep a class-data-sharing archive of
# the CLI (made at the first run for the tarball, at install for the .deb).
#   scripts/dist.sh [--tar-only]     (./mvnw -Pdist package runs it too)
# The .deb needs jpackage's tools: dpkg-deb and fakeroot (scripts/setup-test-deps.sh installs them).
set -euo pipefail
root=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
. "$root/scripts/jdk.sh"
tcpdial_find_jdk || exit 1
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
# (jdk.httpserver, java.management, jdk.management) so a build with them keeps working. Not
# java.desktop: Jackson refers to java.beans only for annotations it reads when present.
found=$("$bin/jdeps" --multi-release "$(tcpdial_java_version "$JAVA_HOME")" --ignore-missing-deps --print-module-deps \
  "$jar" 2>/dev/null || true)
[ -n "$found" ] || found=java.base
modules=$(printf '%s\n' ${found//,/ } jdk.jfr jdk.unsupported jdk.httpserver java.management \
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
sed "s/@VERSION@/$version/" scripts/dist-launcher.sh > "$app/bin/tcpdial"
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

# The .deb: jpackage packs the image under /usr/lib/tcpdial; then /usr/bin/tcpdial, the man page
# and the completion are added as files of the package (so dpkg removes them), and the maintainer
# scripts make the CDS archive at install and remove it before removal.
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
mkdir -p "$tree/usr/bin" "$tree/usr/share/man/man1" "$tree/usr/share/bash-completion/completions"
ln -s ../lib/tcpdial/bin/tcpdial "$tree/usr/bin/tcpdial"
gzip -9n < "$app/share/man/man1/tcpdial.1" > "$tree/usr/share/man/man1/tcpdial.1.gz"
cp "$app/share/bash-completion/completions/tcpdial" "$tree/usr/share/bash-completion/completions/tcpdial"
sed -i "s/^Version: .*/Version: $deb_version/" "$tree/DEBIAN/control"
cat > "$tree/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
# The class-data-sharing archive of the CLI, made once here (as root) for every user.
/usr/lib/tcpdial/bin/tcpdial --version >/dev/null 2>&1 || true
SH
cat > "$tree/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
rm -f /usr/lib/tcpdial/lib/app/tcpdial.jsa
SH
rm -f "$tree/DEBIAN/postrm" "$tree/DEBIAN/preinst"
chmod 755 "$tree/DEBIAN/postinst" "$tree/DEBIAN/prerm"
deb="$out/tcpdial_${deb_version}_${deb_arch}.deb"
fakeroot dpkg-deb -Zxz --build "$tree" "$deb" >/dev/null
rm -rf "$work"
echo "dist: $deb ($(du -h "$deb" | cut -f1))"
