#!/usr/bin/env bash
# For anyone with an NVIDIA GPU: the CUDA tests, then one timed paper-scale run on the GPU.
#   bash scripts/gpu_check.sh            (after `make setup`; PYTHON=... to use another interpreter)
# Prints the device, the tests' result, the run's wall time and its final average accuracy. The whole check
# is meant to take under 5 minutes on one current data-centre GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"

"$PY" - <<'PY'
import torch
if not torch.cuda.is_available():
    raise SystemExit("gpu_check: torch sees no CUDA device (torch " + torch.__version__ + ")")
print("gpu_check: device", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda)
PY

"$PY" -m pytest -q -p no:cacheprovider tests/test_cuda.py

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
"$PY" -m paper_code run --device cuda --quiet --out "$out/paper"
end=$(date +%s.%N)
"$PY" - "$out/paper" "$start" "$end" <<'PY'
import json, sys
from paper_code import load_results
results = load_results(sys.argv[1])
seconds = json.loads(open(sys.argv[1] + "/config.json").read())["seconds"]
print(f"gpu_check: paper-scale run (10 tasks x 6 epochs, all of MNIST) in {float(sys.argv[3]) - float(sys.argv[2]):.0f} s wall;"
      f" phases {seconds}; final average accuracy {results.final_average_accuracy():.4f}")
PY
