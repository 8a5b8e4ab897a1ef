# A CI service (see .ci/run): `evidently_install` builds a venv with a pinned Evidently, the
# reference implementation that monitor.drift's parity test compares against. Nothing is started:
# `evidently_start` only exports
#   TRADEPIPE_EVIDENTLY_PYTHON  the venv's python, which has `evidently` importable
# Evidently never runs in the product's compute path, only in tests/monitor.

TRADEPIPE_EVIDENTLY_VERSION="0.7.23"
# Evidently 0.7.23 imports a pandas internal that pandas 3 removed.
TRADEPIPE_EVIDENTLY_PANDAS="2.3.3"

evidently_venv() {
  echo "${TRADEPIPE_CI_CACHE}/evidently-$TRADEPIPE_EVIDENTLY_VERSION-pandas-$TRADEPIPE_EVIDENTLY_PANDAS"
}

evidently_install() {
  local venv
  venv="$(evidently_venv)"
  # A venv is not relocatable: build it in place; the marker says the install completed.
  if [ ! -f "$venv/.installed" ]; then
    echo "evidently: installing evidently==$TRADEPIPE_EVIDENTLY_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "evidently==$TRADEPIPE_EVIDENTLY_VERSION" "pandas==$TRADEPIPE_EVIDENTLY_PANDAS" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    touch "$venv/.installed"
  fi
}

evidently_start() {
  local venv
  venv="$(evidently_venv)"
  if ! "$venv/bin/python" -c "import evidently" 2>/dev/null; then
    echo "evidently: $venv has no importable evidently" >&2
    return 1
  fi
  export TRADEPIPE_EVIDENTLY_PYTHON="$venv/bin/python"
  echo "evidently: evidently $TRADEPIPE_EVIDENTLY_VERSION at $TRADEPIPE_EVIDENTLY_PYTHON" >&2
}

evidently_stop() {
  true
}
