#!/usr/bin/env bash
# The GPU check of the CUDA sampler (whest-cuda): about 2 minutes on one H200, no Rust needed.
# Needs benches/gpu/bin/whest-runner and benches/gpu/wheels/whestbench-*.whl from prepare.sh,
# an NVIDIA driver, NVRTC (libnvrtc.so.12 or .13: found in the Python packages PyTorch
# installs, /usr/local/cuda or LD_LIBRARY_PATH) and Python with PyTorch (for the reference).
# Prints, and exits 1 if any agreement check fails:
#   1. CPU vs GPU on the same seeds with the Philox stream (per-neuron means, relative to the
#      layer's largest mean: <= 1e-6; and in standard errors);
#   2. a numpy-stream CPU bake vs GPU Philox re-sampling of the same MLPs (within 5 standard
#      errors of the difference);
#   3. effective TFLOP/s (2·N·w²·d per second) of `dataset bake --device cuda` at 256×8 and
#      1024×16, fixed costs (context, NVRTC, generation, parquet) removed by subtracting a bake
#      with 1% of the samples;
#   4. whestbench 0.16.2's torch sampler (sample_layer_statistics_torch, the function its
#      torch bake runs; 16 MLPs per batch and its automatic chunk size) on the same shapes,
#      on its default eager path and with compile=True (inductor + CUDA graphs), and the
#      ratio of whest-cuda's rate to each.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=benches/gpu/bin/whest-runner
WORK=$(mktemp -d)
PY=${PYTHON:-python3}
status=0
fail() { echo "FAIL: $*"; status=1; }

# NVRTC: whest-cuda dlopens libnvrtc.so / libnvrtc.so.12; point a link at whatever is here.
NVRTC=$(
  { ls /usr/local/cuda/lib64/libnvrtc.so.1[23]* 2>/dev/null
    $PY - <<'PY' 2>/dev/null
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
for r in roots:
    for p in glob.glob(os.path.join(r, "nvidia", "*nvrtc*", "lib", "libnvrtc.so.1[23]")) + \
             glob.glob(os.path.join(r, "nvidia", "cu1[23]", "lib", "libnvrtc.so.1[23]")):
        print(p)
PY
  } | grep -v builtins | head -1)
if [ -n "$NVRTC" ]; then
  mkdir -p "$WORK/lib" && ln -sf "$NVRTC" "$WORK/lib/libnvrtc.so"
  export LD_LIBRARY_PATH="$WORK/lib:$(dirname "$NVRTC")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "NVRTC: $NVRTC"
else
  echo "NVRTC: not found outside LD_LIBRARY_PATH; relying on it"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
chmod +x "$BIN"
$BIN version | head -1

bake() { # bake OUT W D N_MLPS N_SAMPLES SEEDS extra...
  local out=$1 w=$2 d=$3 m=$4 n=$5 seeds=$6; shift 6
  $BIN dataset bake --n-mlps "$m" --n-samples "$n" --width "$w" --depth "$d" \
    --mlp-seeds "$seeds" --output "$out" --quiet "$@"
}
seeds() { $PY -c "import json,sys; print(json.dumps([1000+i for i in range(int(sys.argv[1]))]))" "$1" > "$2"; }
largest() { grep '^largest difference' "$1" | sed 's/largest difference: \([^ ]*\).*/\1/'; }
rel() { grep -o 'largest relative difference [^ ]*' "$1" | awk '{print $4}' | sort -g | tail -1; }

echo "== 1. CPU vs GPU, same seeds, Philox stream"
for shape in "256 8 2 200000" "1024 16 1 20000"; do
  set -- $shape
  seeds "$3" "$WORK/s.json"
  out="$WORK/philox-$1x$2"
  bake "$out" "$1" "$2" "$3" "$4" "$WORK/s.json" --device cuda || fail "GPU bake $1x$2"
  $BIN dataset verify "$out" --n-mlps "$3" --device cpu > "$WORK/v.txt" 2>&1 \
    || fail "verify ${1}x${2}: beyond its threshold (or failed)"
  cat "$WORK/v.txt"
  r=$(rel "$WORK/v.txt")
  echo "  ${1}x${2}: largest relative difference ${r:-?} (target <= 1e-6)"
  $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 1e-6 else 1)" "${r:-1}" \
    || fail "CPU vs GPU Philox ${1}x${2}: relative difference ${r:-?} > 1e-6"
done

echo "== 2. numpy-stream CPU bake vs GPU Philox (independent estimates)"
seeds 2 "$WORK/s.json"
bake "$WORK/numpy" 256 8 2 1000000 "$WORK/s.json" --device cpu || fail "CPU numpy bake"
$BIN dataset verify "$WORK/numpy" --n-mlps 2 --device cuda --stream philox > "$WORK/v.txt" 2>&1 \
  || fail "verify numpy vs Philox: beyond its threshold (or failed)"
cat "$WORK/v.txt"
z=$(largest "$WORK/v.txt")
$PY -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 5 else 1)" "${z:-99}" \
  || fail "numpy CPU vs Philox GPU: ${z:-?} standard errors > 5"

echo "== 3. whest-cuda throughput (dataset bake --device cuda)"
tflops() { # W D N_MLPS N_SAMPLES -> prints TFLOP/s
  local w=$1 d=$2 m=$3 n=$4 small=$(( $4 / 100 ))
  seeds "$m" "$WORK/s.json"
  local t0=$(date +%s.%N); bake "$WORK/tiny-$w" "$w" "$d" "$m" "$small" "$WORK/s.json" --device cuda || fail "bake"
  local t1=$(date +%s.%N); bake "$WORK/big-$w" "$w" "$d" "$m" "$n" "$WORK/s.json" --device cuda || fail "bake"
  local t2=$(date +%s.%N)
  $PY -c "
import sys
w, d, m, n, small, t0, t1, t2 = map(float, sys.argv[1:9])
dt = (t2 - t1) - (t1 - t0)
fl = 2 * m * (n - small) * w * w * d
print(f'  whest-cuda {int(w)}x{int(d)}: {int(m)} MLPs x {int(n):,} samples: {t2 - t1:.1f} s '
      f'({t1 - t0:.1f} s at 1%), {fl / dt / 1e12:.1f} TFLOP/s effective')
with open(sys.argv[9], 'a') as f:
    f.write(f'{int(w)}x{int(d)} {fl / dt / 1e12}\n')
" "$w" "$d" "$m" "$n" "$small" "$t0" "$t1" "$t2" "$WORK/tflops.txt"
}
tflops 256 8 16 60000000
tflops 1024 16 2 10000000

echo "== 4. whestbench 0.16.2 torch sampler, same shapes (its default eager path, and compile=True)"
$PY - "$(ls benches/gpu/wheels/whestbench-*.whl | head -1)" "$WORK/tflops.txt" <<'PY' || fail "torch reference"
import importlib.util, sys, time, zipfile, tempfile, os
import torch
whl = sys.argv[1]
tmp = tempfile.mkdtemp()
with zipfile.ZipFile(whl) as z:
    z.extract("whestbench/_simulation_torch.py", tmp)
spec = importlib.util.spec_from_file_location("wb_sim_torch", os.path.join(tmp, "whestbench/_simulation_torch.py"))
sim = importlib.util.module_from_spec(spec); spec.loader.exec_module(sim)
print("  torch", torch.__version__, "on", torch.cuda.get_device_name())
ours = dict(line.split() for line in open(sys.argv[2]))
for w, d, n in [(256, 8, 4_000_000), (1024, 16, 200_000)]:
    B = 16  # whestbench's _auto_mlps_per_batch for >= 16 MLPs
    free, _ = torch.cuda.mem_get_info()
    chunk = max(65536, min(1 << 20, min(2 * 1024**3, free // 4) // (B * w * 4)))  # _auto_chunk_size
    g = torch.Generator(device="cuda"); g.manual_seed(0)
    W = torch.randn((B, d, w, w), generator=g, device="cuda") * (2.0 / w) ** 0.5
    gens = []
    for i in range(B):
        gi = torch.Generator(device="cuda"); gi.manual_seed(i); gens.append(gi)
    for compiled in (False, True):
        # warm-up (and, with compile=True, the inductor compile): two full chunks
        sim.sample_layer_statistics_torch(W, 2 * chunk, gens, chunk_size=chunk, compile=compiled)
        torch.cuda.synchronize(); t = time.perf_counter()
        sim.sample_layer_statistics_torch(W, n, gens, chunk_size=chunk, compile=compiled)
        torch.cuda.synchronize(); dt = time.perf_counter() - t
        rate = 2 * B * n * w * w * d / dt / 1e12
        mine = float(ours.get(f"{w}x{d}", "nan"))
        print(f"  whestbench torch {w}x{d} compile={compiled}: {B} MLPs x {n:,} samples "
              f"(chunk {chunk}): {dt:.1f} s, {rate:.1f} TFLOP/s effective; "
              f"whest-cuda / torch = {mine / rate:.2f}x", flush=True)
PY

rm -rf "$WORK"
[ $status -eq 0 ] && echo "check.sh: all agreement checks passed" || echo "check.sh: FAILED"
exit $status
