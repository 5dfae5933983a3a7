# Sourced by the fault tests: the binaries, data and config of this checkout's build,
# unless the environment (ctest) names others; then the integration tests' helpers.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export TRADER_TOOLS=${TRADER_TOOLS:-$root/build/bin/trader-tools}
export TRADER_TEST_DATA=${TRADER_TEST_DATA:-$root/tests/data}
export TRADER_NODE=${TRADER_NODE:-$root/build/bin/trader-node}
export TRADER_CONFIG=${TRADER_CONFIG:-$root/config/paper.toml}
source "$root/tests/integration/lib.sh"
