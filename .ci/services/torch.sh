# A CI service (see .ci/run): the Python references for the sentiment plugins' fidelity tests.
# `torch_install` builds a venv with the CPU build of torch plus transformers, peft and scikit-learn;
# `torch_start` exports
#   TRADEPIPE_TORCH_PYTHON  the venv's python (tests run reference scripts with it)
# There is no server: `torch_stop` has nothing to stop.
#
# The install refuses a CUDA build: torch must resolve to a `+cpu` wheel with no nvidia-* packages,
# otherwise it would pull several GB of CUDA libraries this machine cannot use.

TRADEPIPE_TORCH_VERSION="2.13.0"
TRADEPIPE_TRANSFORMERS_VERSION="5.17.0"
TRADEPIPE_PEFT_VERSION="0.21.0"
TRADEPIPE_SKLEARN_VERSION="1.9.1"

torch_venv() {
  echo "${TRADEPIPE_CI_CACHE}/torch-$TRADEPIPE_TORCH_VERSION-transformers-$TRADEPIPE_TRANSFORMERS_VERSION-peft-$TRADEPIPE_PEFT_VERSION"
}

torch_install() {
  local venv
  venv="$(torch_venv)"
  if [ ! -f "$venv/.installed" ]; then
    echo "torch: installing torch==$TRADEPIPE_TORCH_VERSION (CPU), transformers, peft into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "torch==$TRADEPIPE_TORCH_VERSION" "transformers==$TRADEPIPE_TRANSFORMERS_VERSION" \
      "peft==$TRADEPIPE_PEFT_VERSION" "scikit-learn==$TRADEPIPE_SKLEARN_VERSION" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    if "$venv/bin/pip" list --format=freeze | grep -i -E '^nvidia-|^triton=='; then
      echo "torch: the resolved torch pulled CUDA packages (listed above); a CPU build is required" >&2
      return 1
    fi
    "$venv/bin/python" -c 'import sys, torch; sys.exit(0 if torch.version.cuda is None else 1)' || {
      echo "torch: the installed torch is a CUDA build; a CPU build is required" >&2
      return 1
    }
    touch "$venv/.installed"
  fi
}

torch_start() {
  export TRADEPIPE_TORCH_PYTHON
  TRADEPIPE_TORCH_PYTHON="$(torch_venv)/bin/python"
  echo "torch: reference python at $TRADEPIPE_TORCH_PYTHON" >&2
}

torch_stop() {
  true
}
