#!/usr/bin/env bash
# Vendor Apache ECharts into the package so the web UI needs no CDN and no npm at run time.
#
# Downloads the echarts package from the npm registry with `npm pack`, copies
# package/dist/echarts.min.js and package/LICENSE into src/demonitor/web/static/vendor/,
# and records where they came from in PROVENANCE.md there.
#
# Usage: bash tools/vendor_echarts.sh [VERSION_SPEC]   (default: echarts@5)
set -euo pipefail

SPEC="${1:-echarts@5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/demonitor/web/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }
command -v sha256sum >/dev/null || { echo "sha256sum is required" >&2; exit 1; }

echo "Fetching $SPEC from the npm registry ..."
# --json prints name, version, filename, shasum and integrity of the packed tarball.
( cd "$WORK" && npm pack "$SPEC" --json --silent >pack.json )

read_field() {
    node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
             const e=Array.isArray(d)?d[0]:d; process.stdout.write(String(e[process.argv[2]]));' \
        "$WORK/pack.json" "$1"
}
NAME="$(read_field name)"
VERSION="$(read_field version)"
FILE="$(read_field filename)"
SHASUM="$(read_field shasum)"
INTEGRITY="$(read_field integrity)"

# Cross-check the downloaded tarball against the shasum npm reported.
ACTUAL_SHA1="$(sha1sum "$WORK/$FILE" | cut -d' ' -f1)"
if [ "$ACTUAL_SHA1" != "$SHASUM" ]; then
    echo "tarball sha1 mismatch: npm says $SHASUM, file is $ACTUAL_SHA1" >&2
    exit 1
fi

tar -xzf "$WORK/$FILE" -C "$WORK" package/dist/echarts.min.js package/LICENSE package/NOTICE package/licenses/LICENSE-d3

mkdir -p "$DEST"
install -m 0644 "$WORK/package/dist/echarts.min.js" "$DEST/echarts.min.js"
install -m 0644 "$WORK/package/LICENSE" "$DEST/ECHARTS-LICENSE.txt"

JS_SHA256="$(sha256sum "$DEST/echarts.min.js" | cut -d' ' -f1)"
LICENSE_SHA256="$(sha256sum "$DEST/ECHARTS-LICENSE.txt" | cut -d' ' -f1)"
TARBALL_SHA256="$(sha256sum "$WORK/$FILE" | cut -d' ' -f1)"
DATE="$(date -u +%Y-%m-%d)"

cat >"$DEST/PROVENANCE.md" <<MD
# Vendored third-party assets

These files are copied verbatim from the npm package below so that the web UI works on an
intranet with no internet access (no CDN). Do not edit them by hand; re-run the script.

| field | value |
| --- | --- |
| package | \`$NAME\` |
| version | \`$VERSION\` |
| tarball | \`$FILE\` |
| tarball integrity (npm) | \`$INTEGRITY\` |
| tarball shasum (npm, sha1) | \`$SHASUM\` |
| tarball sha256 | \`$TARBALL_SHA256\` |
| licence | Apache-2.0 (see \`ECHARTS-LICENSE.txt\`) |
| fetched (UTC) | $DATE |
| command | \`bash tools/vendor_echarts.sh $SPEC\` (runs \`npm pack $SPEC\`) |

| file here | source in tarball | sha256 |
| --- | --- | --- |
| \`echarts.min.js\` | \`package/dist/echarts.min.js\` | \`$JS_SHA256\` |
| \`ECHARTS-LICENSE.txt\` | \`package/LICENSE\` | \`$LICENSE_SHA256\` |

Check: \`sha256sum src/demonitor/web/static/vendor/echarts.min.js\`

## NOTICE (verbatim from \`package/NOTICE\`, redistributed as Apache-2.0 section 4(d) requires)

\`\`\`
$(cat "$WORK/package/NOTICE")
\`\`\`

## LICENSE-d3 (verbatim from \`package/licenses/LICENSE-d3\`; \`ECHARTS-LICENSE.txt\` refers to it)

echarts.min.js embeds code from d3.js (e.g. \`src/util/number.ts\`) under the BSD 3-Clause licence:

\`\`\`
$(cat "$WORK/package/licenses/LICENSE-d3")
\`\`\`
MD

echo "Vendored $NAME@$VERSION into $DEST"
echo "echarts.min.js sha256: $JS_SHA256"
