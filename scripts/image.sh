#!/usr/bin/env bash
# Builds genie's container image FROM scratch: stages the static binary,
# busybox (Debian's busybox-static) and the host's CA certificates, then
# runs docker build. Usage: scripts/image.sh [tag]   (default genie:dev)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-genie:dev}
stage=.image
busybox=$(command -v busybox || true)
if [ -z "$busybox" ]; then
	echo "image: busybox not found; install Debian's busybox-static" >&2
	exit 1
fi
certs=/etc/ssl/certs/ca-certificates.crt
if [ ! -f "$certs" ]; then
	echo "image: $certs not found; install Debian's ca-certificates" >&2
	exit 1
fi
rm -rf "$stage"
mkdir -p "$stage"
CGO_ENABLED=0 go build -trimpath -o "$stage/genie" ./cmd/genie
cp "$busybox" "$stage/busybox"
cp "$certs" "$stage/ca-certificates.crt"
cp deploy/Dockerfile "$stage/Dockerfile"
# The classic builder: it needs no buildx plugin and pulls nothing for
# FROM scratch.
if ! out=$(DOCKER_BUILDKIT=0 docker build -t "$tag" "$stage" 2>&1); then
	echo "$out" >&2
	exit 1
fi
echo "built $tag"
