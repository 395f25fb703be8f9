#!/usr/bin/env bash
# Install kubesec-nb as a user would: build the wheel, install it (not editable) into a fresh virtualenv,
# and run the report there on a bundled sample and on an imported manifest folder (and on the third-party
# manifests when $KUBESEC_NB_THIRD_PARTY names a folder). Dependencies come from a wheelhouse kept in
# .venv-wheel/wheelhouse: filled once from the package index (pip's cache makes that cheap), offline after.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-.venv/bin/python}
WORK=.venv-wheel
WHEELHOUSE=$WORK/wheelhouse
rm -rf "$WORK/dist" "$WORK/venv" build
mkdir -p "$WHEELHOUSE"
rm -f "$WHEELHOUSE"/kubesec_nb-*.whl  # only dependencies live there: a stale copy of ours would shadow the new one
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w "$WORK/dist" .
WHEEL=$(ls "$WORK"/dist/kubesec_nb-*.whl)
"$PY" -m venv "$WORK/venv"
install() { "$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
              --find-links "$WHEELHOUSE" "$WHEEL"; }
if ! install 2>/dev/null; then
  echo "wheel-check: filling $WHEELHOUSE (once)"
  "$PY" -m pip wheel --quiet --disable-pip-version-check -c requirements.txt -w "$WHEELHOUSE" "$WHEEL"
  rm -f "$WHEELHOUSE"/kubesec_nb-*.whl
  install
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
K=$ROOT/$WORK/venv/bin/kubesec-nb
cd "$OUT"  # nothing of the repository on the path
"$K" report eks-shop -o "$OUT/sample"
"$K" import "$ROOT/tests/fixtures/manifests/helm-shop" -o "$OUT/helm-shop.json.gz"
"$K" report "$OUT/helm-shop.json.gz" -o "$OUT/helm-shop"
if [ -n "${KUBESEC_NB_THIRD_PARTY:-}" ] && [ -d "$KUBESEC_NB_THIRD_PARTY" ]; then
  for project in "$KUBESEC_NB_THIRD_PARTY"/*/; do  # one snapshot per project: the importer judges each alone
    name=$(basename "$project")
    if "$K" import "$project" --format manifests -o "$OUT/$name.json.gz" 2>"$OUT/$name.err"; then
      "$K" report "$OUT/$name.json.gz" -o "$OUT/$name"
    else
      echo "wheel-check: the importer refused $name (not a packaging matter): $(tail -1 "$OUT/$name.err")"
    fi
  done
fi
"$K" notebooks "$OUT/workbook"
test -f "$OUT/sample/report.html" -a -f "$OUT/helm-shop/findings.sarif" -a -f "$OUT/workbook/00_overview.ipynb"
echo "wheel-check: $(basename "$WHEEL") installed in a fresh virtualenv; report ran on a sample and on imported manifests"
