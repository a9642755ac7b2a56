#!/usr/bin/env bash
# The one command that passes every test on a fresh Debian 12 with Node 20:
# installs the Debian packages (root, or sudo), the npm dependencies, builds, runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm ci --no-audit --no-fund
npm test
