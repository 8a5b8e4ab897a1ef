# A CI service (see .ci/run): `hera_install` puts Hera (the PyPI package `hera`, Argo Workflows'
# Python SDK, whose models are generated from Argo's OpenAPI spec) in a venv; `hera_start` exports
#   TRADEPIPE_HERA_PYTHON   the venv's python, which tests/argo/validate_workflow.py runs under
# to validate `tradepipe export argo` manifests. Nothing runs in the background.

TRADEPIPE_HERA_VERSION="7.1.0"

hera_venv() {
  echo "${TRADEPIPE_CI_CACHE}/hera-$TRADEPIPE_HERA_VERSION"
}

hera_install() {
  local venv
  venv="$(hera_venv)"
  if [ ! -f "$venv/.installed" ]; then
    echo "hera: installing hera==$TRADEPIPE_HERA_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "hera==$TRADEPIPE_HERA_VERSION" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    "$venv/bin/python" -c 'import hera.workflows.models' || return 1
    touch "$venv/.installed"
  fi
}

hera_start() {
  export TRADEPIPE_HERA_PYTHON="$(hera_venv)/bin/python"
}

hera_stop() {
  true
}
