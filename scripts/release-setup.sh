# Sourced by the demo and quality scripts: installs what is missing, sets up
# OpenMPI for this machine, builds release, and picks threads per rank so that
# ranks × threads = cores. Expects $ranks; defines $bin.
bash scripts/install-deps.sh
source scripts/mpi-env.sh
swift build -c release
bin=.build/release/eps-dist
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(( $(nproc) / ranks > 0 ? $(nproc) / ranks : 1 ))}"
