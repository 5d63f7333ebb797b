#!/usr/bin/env bash
# The main job: set up, then bring FixOps up locally (control plane, PostgreSQL, CRDs, samples,
# operator) and keep it running until Ctrl-C. With a real cluster, run `npx fixops operator` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/dev-up.ts "$@"
