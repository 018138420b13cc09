#!/usr/bin/env bash
# The committed message catalogues (.mo) are exactly what msgfmt makes from the committed
# .po files, so `manage.py compilemessages` never changes a tracked file and production needs
# no gettext. Compiles every locale/*/LC_MESSAGES/*.po into a temporary directory, with the
# options compilemessages uses, and compares the bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v msgfmt >/dev/null; then
  echo "msgfmt not found: install Debian's gettext package (bin/setup --dev does)." >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stale=()
for po in locale/*/LC_MESSAGES/*.po; do
  [ -e "$po" ] || continue
  mo="${po%.po}.mo"
  built="$tmp/$(echo "$mo" | tr / _)"
  msgfmt --check-format -o "$built" "$po"
  if ! cmp -s "$built" "$mo"; then
    stale+=("$po")
  fi
done

if [ ${#stale[@]} -gt 0 ]; then
  echo "These .mo files are not what msgfmt makes from their .po (missing, stale or edited by hand):" >&2
  for po in "${stale[@]}"; do
    echo "  ${po%.po}.mo" >&2
  done
  echo "Rebuild and commit them:" >&2
  for po in "${stale[@]}"; do
    echo "  msgfmt --check-format -o ${po%.po}.mo $po" >&2
  done
  echo "  git add ${stale[*]/%.po/.mo}" >&2
  exit 1
fi
echo "message catalogues match their .po files"
