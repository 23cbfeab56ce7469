#!/usr/bin/python3
"""Kiln's speed benchmark: Kiln's generated code against ONNX Runtime, single thread, same machine, same run,
same inputs (see test/bench/README.md).

    /usr/bin/python3 test/bench/speed_bench.py --kiln build/compiler/kiln --work DIR [--target x86-avx512]...
        [--models mobilenet_v2,resnet18,squeezenet1_1] [--runs 50] [--warmup 5] [--ghz 3.0] [--ort-dir build/ort]

Models are exported by examples/models/export_models.py into DIR/models, again only when that script or the
torch/onnx/torchvision versions change (DIR/models.stamp). Per model, the input is the export's seeded one
(DIR/models/NAME/pytorch/input_0.pb). ONNX Runtime (onnxruntime-node from --ort-dir or $KILN_ORT_DIR,
test/bench/ort_bench.js: intra/inter-op threads 1, graph optimizations 'all', sequential) and `kiln bench
--data ... --json` for every --target run one after the other for each model, each with the same warmup and
runs; Kiln's outputs (of its last run) are compared with ORT's (rtol 1e-3, atol 1e-4). The table is printed
and written to DIR/speed_bench.txt. Exit 1 only when outputs differ or something fails to build or run; never
for speed. Exit 77 when torch or onnxruntime-node is missing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model_cache  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
EXPORT_SCRIPT = os.path.join(ROOT, "examples", "models", "export_models.py")
ORT_BENCH = os.path.join(HERE, "ort_bench.js")
MODELS = ["mobilenet_v2", "resnet18", "squeezenet1_1"]
RTOL, ATOL = 1e-3, 1e-4
SKIP = model_cache.SKIP
# Per target: (FMA units per core, float32 lanes per FMA) assumed for the peak.
PEAK_ASSUMPTION = {"avx512": (2, 16), "avx2": (2, 8)}
# CPU flags (/proc/cpuinfo) a native target's code needs.
TARGET_CPU_FLAGS = {"x86-avx2": ["avx2", "fma"], "x86-avx512": ["avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"]}


def ensure_models(work, names):
    return model_cache.ensure_models(work, "speed_bench", EXPORT_SCRIPT, (EXPORT_SCRIPT,),
                                     ["--models", ",".join(names)])


def cpu_info():
    """(MHz of the first core from /proc/cpuinfo or None, the CPU's flags)."""
    mhz, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "cpu MHz" and mhz is None:
                    mhz = float(value)
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return mhz, flags


def peak_for(target, flags):
    """(FMA units, lanes, why) for the peak of one core running this target's code."""
    if "avx512" in target or (target == "portable" and "avx512f" in flags):
        units, lanes = PEAK_ASSUMPTION["avx512"]
        what = "AVX-512"
    else:
        units, lanes = PEAK_ASSUMPTION["avx2"]
        what = "AVX2"
    return units, lanes, what


def compare(got, want):
    import numpy as np
    if got.shape != want.shape:
        return False, f"shape {got.shape} but ORT gives {want.shape}"
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bad = int(np.count_nonzero(~(err <= ATOL + RTOL * np.abs(want.astype(np.float64)))))
    return bad == 0, f"max abs error {float(err.max()) if err.size else 0.0:.3g}, {bad} of {err.size} outside"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--target", action="append",
                    help="Kiln target (repeatable; default: x86-avx512 and x86-avx2, those this CPU runs)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--ghz", type=float, help="core frequency for the peak (default: /proc/cpuinfo 'cpu MHz')")
    ap.add_argument("--ort-dir", default=os.environ.get("KILN_ORT_DIR", os.path.join(ROOT, "build", "ort")))
    a = ap.parse_args()
    _, flags = cpu_info()
    targets = a.target or ["x86-avx512", "x86-avx2"]
    runnable = [t for t in targets if all(f in flags for f in TARGET_CPU_FLAGS.get(t, []))]
    for t in targets:
        if t not in runnable:
            print(f"speed_bench: {t} skipped: this CPU lacks {', '.join(TARGET_CPU_FLAGS[t])}")
    targets = runnable or ["portable"]
    names = [n for n in a.models.split(",") if n]
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    try:
        import numpy as np
        import onnx
        from onnx import numpy_helper
    except ImportError as e:
        print(f"speed_bench: SKIP: {e}")
        return SKIP
    node_path = os.path.join(os.path.abspath(a.ort_dir), "node_modules")
    if not os.path.isdir(os.path.join(node_path, "onnxruntime-node")) or not shutil.which("node"):
        print(f"speed_bench: SKIP: no node or no onnxruntime-node in {node_path} (test/ort/install_ort.sh)")
        return SKIP
    models = ensure_models(work, names)

    mhz, flags = cpu_info()
    ghz = a.ghz if a.ghz else (mhz / 1000 if mhz else None)
    env = dict(os.environ, NODE_PATH=node_path)
    rows, failures = [], []
    for name in names:
        model = os.path.join(models, name, "model.onnx")
        data = os.path.join(models, name, "pytorch")
        ort_out = os.path.join(work, "ort", name)
        r = subprocess.run(["node", ORT_BENCH, model, data, ort_out, str(a.runs), str(a.warmup)], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"{name}: ORT failed ({r.returncode}): {r.stderr.strip()[-400:]}")
            continue
        ort = json.loads(r.stdout.strip().splitlines()[-1])
        want = [numpy_helper.to_array(onnx.load_tensor(os.path.join(ort_out, f)))
                for f in sorted(os.listdir(ort_out), key=lambda f: int(re.findall(r"\d+", f)[0]))]
        for target in targets:
            kwork = os.path.join(work, "kiln", f"{name}-{target}")
            jpath = os.path.join(work, f"{name}-{target}.json")
            cmd = [a.kiln, "bench", model, "--target", target, "--data", data, "--runs", str(a.runs), "--warmup",
                   str(a.warmup), "--json", jpath, "--work-dir", kwork]
            k = subprocess.run(cmd, capture_output=True, text=True)
            if k.returncode != 0:
                failures.append(f"{name} --target {target}: kiln bench exit {k.returncode}: {k.stderr.strip()[-400:]}")
                continue
            res = json.load(open(jpath))
            ok_all, notes = True, []
            for i, w in enumerate(want):
                got = np.fromfile(os.path.join(kwork, f"out_{i}.bin"), dtype=w.dtype)
                if got.size != w.size:
                    ok, note = False, f"{got.size} elements but ORT gives {w.size}"
                else:
                    ok, note = compare(got.reshape(w.shape), w)
                ok_all &= ok
                notes.append(note)
            if not ok_all:
                failures.append(f"{name} --target {target}: outputs differ from ORT: {'; '.join(notes)}")
            units, lanes, what = peak_for(target, flags)
            peak = ghz * units * lanes * 2 if ghz else None
            rows.append((name, target, ort["median_ms"], res["median_ms"], res["gflops"], peak,
                         "OK" if ok_all else "MISMATCH", notes[0] if notes else ""))
            print(f"speed_bench: {name} {target}: ORT {ort['median_ms']:.3f} ms, Kiln {res['median_ms']:.3f} ms, "
                  f"outputs {'match' if ok_all else 'DIFFER'} ({'; '.join(notes)})", flush=True)

    lines = [f"speed benchmark: single thread, {a.runs} runs after {a.warmup} warmup, medians; "
             f"ORT = onnxruntime-node, graph optimizations 'all', intra/inter-op threads 1",
             f"peak = 1 core x {ghz:.2f} GHz ({'--ghz' if a.ghz else '/proc/cpuinfo cpu MHz'}) x FMA units x float lanes "
             f"x 2 FLOP; assumed per target: AVX-512 {PEAK_ASSUMPTION['avx512'][0]} x {PEAK_ASSUMPTION['avx512'][1]}, "
             f"AVX2 {PEAK_ASSUMPTION['avx2'][0]} x {PEAK_ASSUMPTION['avx2'][1]} (portable: the host's widest: "
             f"{'AVX-512' if 'avx512f' in flags else 'AVX2'}); turbo and AVX-512 frequency drops not modelled"
             if ghz else "peak: unknown (no 'cpu MHz' in /proc/cpuinfo; give --ghz)",
             "",
             f"{'model':<15} {'target':<12} {'ORT ms':>9} {'Kiln ms':>9} {'ORT/Kiln':>9} {'GFLOP/s':>9} "
             f"{'% peak':>7}  outputs"]
    for name, target, ort_ms, kiln_ms, gf, peak, status, note in rows:
        pct = f"{100 * gf / peak:.1f}" if peak else "?"
        lines.append(f"{name:<15} {target:<12} {ort_ms:>9.3f} {kiln_ms:>9.3f} {ort_ms / kiln_ms:>9.3f} {gf:>9.2f} "
                     f"{pct:>7}  {status} ({note})")
    for f in failures:
        lines.append("FAIL: " + f)
    text = "\n".join(lines)
    print("\n" + text)
    with open(os.path.join(work, "speed_bench.txt"), "w") as f:
        f.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
