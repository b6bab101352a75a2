#!/usr/bin/env bash
# Installs GoReleaser v2.17.0 (a few minutes the first time) and checks
# .goreleaser.yaml with `goreleaser check`. With --snapshot it also builds the
# release archives locally (into dist/, no publishing) so you can look inside.
# Not run in CI; run it when you change .goreleaser.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
version=v2.17.0
gobin="$(go env GOPATH)/bin"

if ! "$gobin/goreleaser" --version 2>/dev/null | grep -q "GitVersion:[[:space:]]*$version\$"; then
  echo "goreleaser-check: installing goreleaser $version into $gobin"
  GOBIN="$gobin" go install "github.com/goreleaser/goreleaser/v2@$version"
fi
"$gobin/goreleaser" check

if [ "${1:-}" = "--snapshot" ]; then
  "$gobin/goreleaser" release --snapshot --clean --skip=publish
  for a in dist/*.tar.gz; do
    echo "== $a"; tar -tzf "$a"
  done
fi
