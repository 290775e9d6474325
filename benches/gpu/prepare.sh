#!/usr/bin/env bash
# Run on a build machine (Rust toolchain, no GPU needed) before a GPU session: builds
# whest-runner with the CUDA sampler and fetches the whestbench wheel, into the ignored folders
# benches/gpu/bin and benches/gpu/wheels that the GPU session carries (`run` tool:
# carry ["benches/gpu/bin", "benches/gpu/wheels"]). Then run benches/gpu/check.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p whest-runner --features cuda
mkdir -p benches/gpu/bin benches/gpu/wheels
cp "${CARGO_TARGET_DIR:-target}/release/whest-runner" benches/gpu/bin/whest-runner
python3 -m pip download --no-deps --only-binary=:all: "whestbench==0.16.2" -d benches/gpu/wheels
ls -la benches/gpu/bin benches/gpu/wheels
