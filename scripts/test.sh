#!/usr/bin/env bash
# All tests, as CI runs them: prepares a Python virtual environment with astropy (the independent
# reader some tests check exod's outputs with) in target/py-venv, then runs the Rust tests.
# Needs Rust, a C compiler and python3 with venv; astropy comes from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
if ! "$venv/bin/python" -c "import astropy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "astropy>=6" >&2
fi
export EXOD_PYTHON="$PWD/$venv/bin/python"
echo "+ cargo test --workspace --locked (astropy $("$EXOD_PYTHON" -c 'import astropy; print(astropy.__version__)'))" >&2
cargo test --workspace --locked
