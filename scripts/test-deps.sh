#!/usr/bin/env bash
# Prepares the independent readers some tests check exod's outputs with (the README's test
# command runs it before `cargo test`; running it again installs nothing):
#   * a Python virtual environment in target/py-venv with astropy, stingray and pyarrow (the tests find it
#     there; EXOD_PYTHON overrides), and pytest, dask and distributed for the tests of the Python
#     package (scripts/test-python.sh builds the extension into that environment);
#   * fitsverify, HEASARC's FITS verifier, from the Debian/Ubuntu package when it is missing
#     (apt-get, as root or through sudo; EXOD_FITSVERIFY overrides its path).
# Needs python3 with venv; astropy, stingray, pyarrow, pytest, dask/distributed and voevent-parse
# (the VOEvent 2.0 schema validator of the alert tests) come from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
if ! "$venv/bin/python" -c "import astropy, stingray, pyarrow, pytest, distributed, voeventparse" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "astropy>=6" "stingray>=2" "pyarrow>=14" \
    "pytest>=7" "dask>=2023.1" "distributed>=2023.1" "voevent-parse>=1.0" >&2
fi
if ! command -v fitsverify >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fitsverify; } >/dev/null 2>&1 \
      || echo "scripts/test-deps.sh: could not install fitsverify (apt-get install fitsverify)" >&2
  fi
fi
versions=$("$venv/bin/python" -c 'import warnings; warnings.simplefilter("ignore"); import astropy, stingray, pyarrow, pytest, distributed; print(f"astropy {astropy.__version__}, stingray {stingray.__version__}, pyarrow {pyarrow.__version__}, pytest {pytest.__version__}, distributed {distributed.__version__}")')
echo "test dependencies: $versions, $(command -v fitsverify >/dev/null && dpkg-query -W -f='fitsverify ${Version}' fitsverify 2>/dev/null || echo 'no fitsverify')" >&2
