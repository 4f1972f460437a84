#!/usr/bin/env bash
# Vendor Swagger UI (the page at /docs) into the package: intranets have no CDN.
# Usage: bash tools/vendor_swagger_ui.sh [VERSION_SPEC]   (default: swagger-ui-dist@5)
set -euo pipefail

SPEC="${1:-swagger-ui-dist@5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/demonitor/web/static/vendor/swagger-ui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

( cd "$WORK" && npm pack "$SPEC" --json --silent >pack.json )
field() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[0];
                   process.stdout.write(String(d[process.argv[2]]))' "$WORK/pack.json" "$1"; }
FILE="$(field filename)"
if [ "$(sha1sum "$WORK/$FILE" | cut -d' ' -f1)" != "$(field shasum)" ]; then
    echo "tarball sha1 differs from what npm reported" >&2; exit 1
fi
tar -xzf "$WORK/$FILE" -C "$WORK"
mkdir -p "$DEST"
for f in swagger-ui-bundle.js swagger-ui.css LICENSE; do
    install -m 0644 "$WORK/package/$f" "$DEST/$f"
done
{
    echo "# Swagger UI, vendored"
    echo
    echo "- package: $(field name)@$(field version) from the npm registry (\`npm pack $SPEC\`)"
    echo "- tarball integrity: $(field integrity)"
    echo "- fetched: $(date -u +%Y-%m-%d) by tools/vendor_swagger_ui.sh"
    echo "- licence: Apache-2.0 (LICENSE beside this file)"
    echo
    echo '```'
    (cd "$DEST" && sha256sum swagger-ui-bundle.js swagger-ui.css)
    echo '```'
} >"$DEST/PROVENANCE.md"
echo "vendored $(field name)@$(field version) into $DEST"
