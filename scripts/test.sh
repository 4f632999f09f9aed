#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the MPI self-test
# under mpirun -n 2 and -n 4, then `swift test` (unit, golden, end-to-end and
# the multi-rank tests, which start mpirun themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/mpi-env.sh
swift build -c release --build-tests
for n in 2 4; do
  echo "== mpirun -n $n mpi-selftest"
  OPENBLAS_NUM_THREADS=1 mpirun -n "$n" .build/release/mpi-selftest
done
echo "== swift test"
swift test -c release --skip-build --disable-swift-testing
