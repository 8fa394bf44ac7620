#!/bin/sh
# install.sh [-b BINDIR] VERSION
#
# Downloads the docketqa-gate release binary VERSION (like v1.2.3) for this
# machine's OS and architecture, checks its SHA-256 against the release's
# checksums.txt and installs it as BINDIR/docketqa-gate (.exe on Windows).
# BINDIR defaults to ./bin and is created if needed.
#
#   curl -fsSLO https://github.com/docketqa-gate/docketqa-gate/raw/v1.2.3/scripts/install.sh
#   sh install.sh -b "$HOME/.local/bin" v1.2.3
#
# Runs with any POSIX sh: Linux, macOS, and Windows under Git Bash, MSYS2
# or Cygwin; amd64 and arm64. Needs curl or wget, and sha256sum or shasum.
#
# It refuses, installing nothing and leaving no file behind: a checksum
# that does not match, a binary that checksums.txt does not list, a
# download that fails, and a plain-http download root other than loopback.
#
# DOCKETQA_GATE_DOWNLOAD_URL replaces the release download root
# (https://github.com/docketqa-gate/docketqa-gate/releases/download); files
# are fetched from ROOT/VERSION/FILE. It must be https, or http to
# localhost, 127.0.0.0/8 or [::1] (a release served for a test).
#
# Exit codes: 0 installed; 1 refused or failed; 2 usage.
set -eu

default_root=https://github.com/docketqa-gate/docketqa-gate/releases/download
# A release binary is about 10 MB; these caps bound what a wrong or hostile
# server can make this script write to disk.
max_binary_bytes=104857600
max_checksums_bytes=1048576

say() { printf 'install.sh: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }
usage() {
  say "usage: sh install.sh [-b BINDIR] VERSION   (VERSION like v1.2.3)"
  exit 2
}

bindir=./bin
while getopts 'b:h' opt; do
  case $opt in
    b) bindir=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -eq 1 ] || usage
version=$1
[ -n "$bindir" ] || usage

# The version goes into URLs and file names: only the characters of a
# release tag, then its exact shape.
case $version in
  '' | *[!0-9A-Za-z.-]*) usage ;;
esac
printf '%s\n' "$version" | grep -Eqx 'v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?' || usage

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
  *) fail "no release binary for this OS ($(uname -s)); releases exist for Linux, macOS and Windows. Go users: go install github.com/docketqa-gate/docketqa-gate@$version" ;;
esac
case $(uname -m) in
  x86_64 | amd64 | AMD64) arch=amd64 ;;
  aarch64 | arm64 | ARM64) arch=arm64 ;;
  *) fail "no release binary for this architecture ($(uname -m)); releases exist for amd64 and arm64" ;;
esac
ext=
[ "$os" = windows ] && ext=.exe
asset="docketqa-gate_${version}_${os}_${arch}${ext}"

root=${DOCKETQA_GATE_DOWNLOAD_URL:-$default_root}
root=${root%/}
# Blanks and line breaks have no place in a URL and would garble messages.
nl='
'
tab=$(printf '\t')
case $root in
  *' '* | *"$nl"* | *"$tab"*) fail "DOCKETQA_GATE_DOWNLOAD_URL contains blanks or line breaks" ;;
esac
case $root in
  https://*) scheme=https ;;
  http://*)
    scheme=http
    hostport=${root#http://}
    hostport=${hostport%%/*}
    # User information would let "http://127.0.0.1@host" look local.
    case $hostport in
      *@*) fail "DOCKETQA_GATE_DOWNLOAD_URL must not contain user information: $root" ;;
    esac
    case $hostport in
      \[*\]*) host=${hostport%%]*}] ;;
      *) host=${hostport%%:*} ;;
    esac
    # After the host, at most a port.
    port=${hostport#"$host"}
    case $port in
      '' | :[0-9]*) ;;
      *) fail "DOCKETQA_GATE_DOWNLOAD_URL has a malformed host: $root" ;;
    esac
    case ${port#:} in
      *[!0-9]*) fail "DOCKETQA_GATE_DOWNLOAD_URL has a malformed port: $root" ;;
    esac
    octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
    case $host in
      localhost | '[::1]') ;;
      *)
        printf '%s\n' "$host" | grep -Eqx "127\\.$octet\\.$octet\\.$octet" ||
          fail "DOCKETQA_GATE_DOWNLOAD_URL must be https; plain http is allowed only for localhost, 127.0.0.0/8 and [::1], not $host"
        ;;
    esac
    ;;
  *) fail "DOCKETQA_GATE_DOWNLOAD_URL must be an https URL, not $root" ;;
esac

# download URL FILE MAXBYTES: fails on any HTTP error. Over https, a
# redirect may only go to https (GitHub serves release files through one);
# a loopback http root gets no redirects at all.
if command -v curl >/dev/null 2>&1; then
  download() {
    if [ "$scheme" = https ]; then
      curl -fsSL --proto '=https' --proto-redir '=https' --max-redirs 5 \
        --connect-timeout 30 --max-time 600 --retry 3 --max-filesize "$3" -o "$2" "$1"
    else
      curl -fsS --max-redirs 0 --connect-timeout 30 --max-time 600 --max-filesize "$3" -o "$2" "$1"
    fi
  }
elif command -v wget >/dev/null 2>&1; then
  download() {
    if [ "$scheme" = https ]; then
      wget -q --max-redirect=5 --timeout=30 --tries=3 -O "$2" "$1"
    else
      wget -q --max-redirect=0 --timeout=30 --tries=1 -O "$2" "$1"
    fi &&
      # wget has no size cap of its own; refuse an oversized file afterwards.
      [ "$(wc -c <"$2")" -le "$3" ]
  }
else
  fail "neither curl nor wget is installed; install one of them"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum <"$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 <"$1" | cut -d ' ' -f 1; }
else
  fail "neither sha256sum nor shasum is installed; one is needed to verify the download"
fi

# Everything is downloaded into a directory of our own, removed on every
# exit; BINDIR is touched only once the binary is verified.
tmp=$(mktemp -d)
staged=
cleanup() {
  rm -rf "$tmp"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

say "downloading $asset and checksums.txt from $root/$version"
download "$root/$version/checksums.txt" "$tmp/checksums.txt" "$max_checksums_bytes" ||
  fail "could not download $root/$version/checksums.txt; is $version a published release?"
download "$root/$version/$asset" "$tmp/$asset" "$max_binary_bytes" ||
  fail "could not download $root/$version/$asset; is $version a published release with a $os/$arch binary?"

# sha256sum's format: the hash, a space, a space or '*' (binary mode), the
# file name. Exactly one line may name the asset.
want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")
case $want in
  '') fail "checksums.txt of $version lists no checksum for $asset; refusing to install an unverified binary" ;;
  *[!0-9a-f]*) fail "checksums.txt of $version has a malformed or repeated entry for $asset; refusing to install" ;;
esac
[ "${#want}" -eq 64 ] || fail "checksums.txt of $version has a malformed entry for $asset; refusing to install"
got=$(sha256 "$tmp/$asset")
[ "$got" = "$want" ] ||
  fail "SHA-256 mismatch for $asset: checksums.txt says $want, the download is $got; refusing to install"

mkdir -p "$bindir" || fail "cannot create $bindir"
target="$bindir/docketqa-gate$ext"
# Copy next to the target, then rename over it: a running or half-written
# binary is never replaced in place.
staged="$bindir/.docketqa-gate.$$.tmp"
cp "$tmp/$asset" "$staged" || fail "cannot write to $bindir"
chmod 0755 "$staged"
mv -f "$staged" "$target" || fail "cannot install $target"
staged=
say "installed docketqa-gate $version ($os/$arch, SHA-256 $got) as $target"
