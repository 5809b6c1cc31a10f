#!/usr/bin/env bash
# README command one: install what is missing, build, and run the default platform's main job.
# Extra arguments go to `pagecycle run` (e.g. --preset small --stats-json out.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh pagecycle
exec "${BUILD_DIR:-build}/platform/app/pagecycle" run "$@"
