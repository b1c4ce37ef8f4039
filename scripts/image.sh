#!/usr/bin/env bash
# Builds genie's container images FROM scratch: genie (the static binary,
# busybox from Debian's busybox-static, the host's CA certificates) and
# genie-s3 (a statically linked versitygw, the S3-compatible store of the
# compose group). Usage: scripts/image.sh [tag]   (default genie:dev; the
# store gets genie-s3 with the same version, genie-s3:dev)
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

s3tag=genie-s3:${tag##*:}
s3stage=.image-s3
vgw=.tools/static/versitygw
if [ ! -x "$vgw" ]; then
	CGO_ENABLED=0 GOBIN="$PWD/.tools/static" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
rm -rf "$s3stage"
mkdir -p "$s3stage"
cp "$vgw" "$s3stage/versitygw"
cp deploy/versitygw.Dockerfile "$s3stage/Dockerfile"
if ! out=$(DOCKER_BUILDKIT=0 docker build -t "$s3tag" "$s3stage" 2>&1); then
	echo "$out" >&2
	exit 1
fi
echo "built $s3tag"
