#!/usr/bin/env bash
# The Python tests (crates/exod-py/tests, pytest). Builds the extension module exod._exod with
# cargo's test profile in the workspace target dir, so the crates `cargo test` compiled are
# reused (`maturin develop --profile test` would build a test harness: `cargo rustc --profile
# test` compiles with --test), places it beside the package sources
# (crates/exod-py/python/exod/_exod.abi3.so, a hard link; git-ignored) and puts those sources on
# the path of the virtual environment target/py-venv (made by scripts/test-deps.sh) with a .pth
# file — what an editable install does. Then runs pytest; EXOD_BIN, the exod binary the tests
# compare with, is the test-profile build of exod-cli. `pip install ./crates/exod-py` is the
# user's install (docs/python.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/target/py-venv
export PYO3_PYTHON=$venv/bin/python PYO3_BUILD_EXTENSION_MODULE=1
cargo build --profile test --locked -p exod-cli --bin exod -p exod-py --lib
so=crates/exod-py/python/exod/_exod.abi3.so
ln -f target/debug/lib_exod.so "$so" 2>/dev/null || cp target/debug/lib_exod.so "$so"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$root/crates/exod-py/python" >"$site/exod-dev.pth"
export EXOD_BIN=${EXOD_BIN:-$root/target/debug/exod}
cd crates/exod-py
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
