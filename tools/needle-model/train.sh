#!/usr/bin/env bash
# npm run train:needle-model: train (resumable) -> export -> GGUF -> tests. Extra arguments go to train.py.
# Needs Debian's python3-torch and libopenblas0-pthread (apt-get install -y python3-torch libopenblas0-pthread).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-/usr/bin/python3}"
WORK="${NEEDLE_WORK_DIR:-/tmp/llamahome-needle}"

"$PYTHON" tools/needle-model/test_tokenizer.py
"$PYTHON" tools/needle-model/train.py --work-dir "$WORK" "$@"
"$PYTHON" tools/needle-model/export.py --checkpoint "$WORK/final.pt"
node --import tsx tools/needle-model/writeGguf.ts "$WORK" models/needle/llamahome-needle-2L128.gguf
"$PYTHON" tools/needle-model/test_tokenizer.py models/needle/llamahome-needle-2L128.gguf
node --import tsx --test --test-reporter=spec test/needleModel.test.ts
