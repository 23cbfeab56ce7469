#!/usr/bin/python3
"""Kiln's speed benchmark: Kiln's generated code against ONNX Runtime, single thread, same machine, same run,
same inputs (see test/bench/README.md).

    /usr/bin/python3 test/bench/speed_bench.py --kiln build/compiler/kiln --work DIR [--target x86-avx512]...
        [--models mobilenet_v2,resnet18,squeezenet1_1] [--runs 50] [--warmup 5] [--rounds 5] [--ghz 3.0]
        [--ort-dir build/ort]

Models are exported by examples/models/export_models.py into DIR/models, again only when that script or the
torch/onnx/torchvision versions change (DIR/models.stamp). Per model, the input is the export's seeded one
(DIR/models/NAME/pytorch/input_0.pb). ONNX Runtime (onnxruntime-node from --ort-dir or $KILN_ORT_DIR,
test/bench/ort_bench.js: intra/inter-op threads 1, graph optimizations 'all', sequential) and `kiln bench
--data ... --json` for every --target run one after the other for each model, each with the same warmup and
runs, in --rounds rounds: the runs are split over the rounds and every round runs ORT, ORT-AVX2 and each Kiln
target again (WARMUP untimed runs each time; Kiln's later rounds run the harness `kiln bench` built), so a slow
stretch of a shared machine falls on all of them alike; medians are over all runs of a side. Kiln's outputs
(of its first round) are compared with ORT's (rtol 1e-3, atol 1e-4). The table is printed
and written to DIR/speed_bench.txt. Exit 1 only when outputs differ or something fails to build or run; never
for speed. Exit 77 when torch or onnxruntime-node is missing.

ORT picks its kernels from CPUID at run time: on a CPU with AVX-512 it runs AVX-512 kernels, with twice the
FMA width of Kiln's x86-avx2 code. With x86-avx2 among the targets, ORT is also run with AVX-512 hidden from
CPUID (test/bench/cpuid_mask.c, Linux CPUID faulting), i.e. on the code path it takes on an AVX2 + FMA CPU:
column "ORT-AVX2 ms" and the ratio "/Kiln" against it (its outputs are checked against ORT's own). Without
CPUID faulting (CPU flag cpuid_fault) or a C compiler, that column is "n/a".

"% peak" is of the FMA throughput one core reaches, measured by test/bench/fma_peak.c per ISA (12 independent
FMA chains in registers); with --ghz, or without a C compiler, of GHz x 2 FMA units x lanes x 2 FLOP instead.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model_cache  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
EXPORT_SCRIPT = os.path.join(ROOT, "examples", "models", "export_models.py")
ORT_BENCH = os.path.join(HERE, "ort_bench.js")
CPUID_MASK = os.path.join(HERE, "cpuid_mask.c")
FMA_PEAK = os.path.join(HERE, "fma_peak.c")
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


def peak_isa(target, flags):
    """The ISA ("avx512" or "avx2") whose FMA peak bounds one core running this target's code."""
    return "avx512" if "avx512" in target or (target == "portable" and "avx512f" in flags) else "avx2"


def build_c(work, source, out, shared):
    """Compiles one of the helpers next to this script into work; the path, or None without a C compiler."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc:
        return None
    path = os.path.join(work, out)
    cmd = [cc, "-O2", source, "-o", path] + (["-shared", "-fPIC", "-ldl"] if shared else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"speed_bench: could not build {os.path.basename(source)}: {r.stderr.strip()[-300:]}")
        return None
    return path


def measured_peaks(work):
    """{"avx2": GFLOP/s, "avx512": GFLOP/s} one core reaches (fma_peak.c), {} when it cannot be measured."""
    exe = build_c(work, FMA_PEAK, "fma_peak", shared=False)
    if not exe:
        return {}
    r = subprocess.run([exe], capture_output=True, text=True)
    try:
        return json.loads(r.stdout) if r.returncode == 0 else {}
    except ValueError:
        return {}


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
    ap.add_argument("--rounds", type=int, default=5,
                    help="split the runs over this many rounds of ORT, ORT-AVX2 and every target in turn")
    ap.add_argument("--ghz", type=float,
                    help="core frequency for a nominal peak (default: the FMA peak measured by fma_peak.c)")
    ap.add_argument("--no-ort-avx2", action="store_true",
                    help="do not run ORT with AVX-512 hidden (the ORT-AVX2 column of x86-avx2 rows)")
    ap.add_argument("--ort-dir", default=os.environ.get("KILN_ORT_DIR", os.path.join(ROOT, "build", "ort")))
    a = ap.parse_args()
    if a.runs < 1 or a.warmup < 0 or a.rounds < 1:
        ap.error("--runs and --rounds must be at least 1, --warmup at least 0")
    rounds = min(a.rounds, a.runs)
    # Timed runs of round r: the runs split as evenly as they go.
    round_runs = [a.runs // rounds + (1 if r < a.runs % rounds else 0) for r in range(rounds)]
    mhz, flags = cpu_info()
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

    peaks = {} if a.ghz else measured_peaks(work)
    ghz = a.ghz if a.ghz else (mhz / 1000 if mhz else None)
    env = dict(os.environ, NODE_PATH=node_path)
    mask, mask_note = None, ""
    if "x86-avx2" in targets and not a.no_ort_avx2:
        if "cpuid_fault" not in flags:
            mask_note = "no CPUID faulting on this CPU (flag cpuid_fault)"
        else:
            mask = build_c(work, CPUID_MASK, "cpuid_mask.so", shared=True)
            mask_note = "" if mask else "no C compiler for cpuid_mask.c"
    rows, failures = [], []

    def run_kiln(cmd, what):
        """Runs `kiln bench` or the harness it built; on a failure records `what`, the exit code and the end of
        stderr, and returns False."""
        k = subprocess.run(cmd, capture_output=True, text=True)
        if k.returncode != 0:
            failures.append(f"{what} exit {k.returncode}: {k.stderr.strip()[-400:]}")
            return False
        return True

    def run_ort(model, data, out, runs, preload=None):
        """ORT's timing (the JSON line of ort_bench.js) and outputs, or (None, None, why)."""
        e = dict(env, LD_PRELOAD=preload) if preload else env
        r = subprocess.run(["node", ORT_BENCH, model, data, out, str(runs), str(a.warmup)], env=e,
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None, None, f"exit {r.returncode}: {r.stderr.strip()[-400:]}"
        outs = [numpy_helper.to_array(onnx.load_tensor(os.path.join(out, f)))
                for f in sorted(os.listdir(out), key=lambda f: int(re.findall(r"\d+", f)[0]))]
        return json.loads(r.stdout.strip().splitlines()[-1]), outs, ""

    for name in names:
        model = os.path.join(models, name, "model.onnx")
        data = os.path.join(models, name, "pytorch")
        times = {"ort": [], "ort-avx2": []}
        times.update({t: [] for t in targets})
        want, res, notes_of, ok_of, harness = None, {}, {}, {}, {}
        failed = False
        for r, runs in enumerate(round_runs):
            ort, outs, why = run_ort(model, data, os.path.join(work, "ort", name), runs)
            if ort is None:
                failures.append(f"{name}: ORT failed ({why})")
                failed = True
                break
            times["ort"] += ort["times_ms"]
            if r == 0:
                want = outs
            if mask:
                ort_avx2, got, why = run_ort(model, data, os.path.join(work, "ort-avx2", name), runs, preload=mask)
                if ort_avx2 is None:
                    if why.startswith("exit 77"):
                        mask, mask_note = None, "CPUID faulting refused (cpuid_mask.c exit 77)"
                    else:
                        failures.append(f"{name}: ORT with AVX-512 hidden failed ({why})")
                    times["ort-avx2"] = []
                else:
                    times["ort-avx2"] += ort_avx2["times_ms"]
                    checks = [compare(g, w) for g, w in zip(got, want)] if r == 0 else []
                    if r == 0 and (len(got) != len(want) or not all(ok for ok, _ in checks)):
                        failures.append(f"{name}: ORT with AVX-512 hidden gives other outputs than ORT: "
                                        f"{'; '.join(n for _, n in checks)}")
            for target in targets:
                if target in harness and harness[target] is None:
                    continue  # failed in round 1
                kwork = os.path.join(work, "kiln", f"{name}-{target}")
                if r == 0:
                    jpath = os.path.join(work, f"{name}-{target}.json")
                    cmd = [a.kiln, "bench", model, "--target", target, "--data", data, "--runs", str(runs),
                           "--warmup", str(a.warmup), "--json", jpath, "--work-dir", kwork]
                    if not run_kiln(cmd, f"{name} --target {target}: kiln bench"):
                        harness[target] = None
                        continue
                    res[target] = json.load(open(jpath))
                    times[target] += res[target]["times_ms"]
                    harness[target] = os.path.join(kwork, "bench")
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
                    ok_of[target], notes_of[target] = ok_all, notes
                    continue
                # Later rounds: the harness kiln bench built (RESULTS RUNS WARMUP in_N.bin... out_N.bin...:
                # one line of nanoseconds per timed run).
                ins = sorted((f for f in os.listdir(kwork) if re.fullmatch(r"in_\d+\.bin", f)),
                             key=lambda f: int(re.findall(r"\d+", f)[0]))
                outdir = os.path.join(work, "kiln", f"{name}-{target}-rounds")
                os.makedirs(outdir, exist_ok=True)
                results = os.path.join(outdir, "times.txt")
                cmd = ([harness[target], results, str(runs), str(a.warmup)] + [os.path.join(kwork, f) for f in ins] +
                       [os.path.join(outdir, f"out_{i}.bin") for i in range(len(want))])
                if not run_kiln(cmd, f"{name} --target {target}: harness (round {r + 1})"):
                    harness[target] = None
                    continue
                times[target] += [int(line.split()[0]) / 1e6 for line in open(results) if line.strip()]
        if failed:
            continue
        ort_ms = statistics.median(times["ort"])
        peer = statistics.median(times["ort-avx2"]) if mask and times["ort-avx2"] else None
        for target in targets:
            if not harness.get(target):
                continue
            kiln_ms = statistics.median(times[target])
            gflops = 2.0 * res[target]["macs"] / (kiln_ms * 1e6)
            isa = peak_isa(target, flags)
            if isa in peaks:
                peak = peaks[isa]
            else:
                units, lanes = PEAK_ASSUMPTION[isa]
                peak = ghz * units * lanes * 2 if ghz else None
            tpeer = peer if target == "x86-avx2" else None
            notes = notes_of[target]
            rows.append((name, target, ort_ms, kiln_ms, tpeer, gflops, peak, "OK" if ok_of[target] else "MISMATCH",
                         notes[0] if notes else ""))
            print(f"speed_bench: {name} {target}: ORT {ort_ms:.3f} ms"
                  f"{f', ORT-AVX2 {tpeer:.3f} ms' if tpeer else ''}, Kiln {kiln_ms:.3f} ms, "
                  f"outputs {'match' if ok_of[target] else 'DIFFER'} ({'; '.join(notes)})", flush=True)

    if peaks:
        peak_line = ("peak = the FMA throughput of one core measured by fma_peak.c: " +
                     ", ".join(f"{'AVX-512' if k == 'avx512' else 'AVX2'} {v:.1f} GFLOP/s" for k, v in peaks.items()) +
                     " (portable: the host's widest)")
    elif ghz:
        peak_line = (f"peak = 1 core x {ghz:.2f} GHz ({'--ghz' if a.ghz else '/proc/cpuinfo cpu MHz'}) x FMA units x "
                     f"float lanes x 2 FLOP; assumed per target: AVX-512 {PEAK_ASSUMPTION['avx512'][0]} x "
                     f"{PEAK_ASSUMPTION['avx512'][1]}, AVX2 {PEAK_ASSUMPTION['avx2'][0]} x {PEAK_ASSUMPTION['avx2'][1]} "
                     f"(portable: the host's widest); turbo and AVX-512 frequency drops not modelled")
    else:
        peak_line = "peak: unknown (no fma_peak.c result and no 'cpu MHz' in /proc/cpuinfo; give --ghz)"
    lines = [f"speed benchmark: single thread, {a.runs} runs in {rounds} round{'s' if rounds > 1 else ''} "
             f"(each after {a.warmup} warmup), medians; "
             f"ORT = onnxruntime-node, graph optimizations 'all', intra/inter-op threads 1",
             "ORT-AVX2 = the same ORT with AVX-512 hidden from CPUID (its AVX2 kernels, as on an AVX2 CPU)" +
             (f": n/a, {mask_note}" if mask_note else ""),
             peak_line,
             "",
             f"{'model':<15} {'target':<12} {'ORT ms':>9} {'Kiln ms':>9} {'ORT/Kiln':>9} {'ORT-AVX2 ms':>12} "
             f"{'/Kiln':>6} {'GFLOP/s':>9} {'% peak':>7}  outputs"]
    for name, target, ort_ms, kiln_ms, peer, gf, peak, status, note in rows:
        pct = f"{100 * gf / peak:.1f}" if peak else "?"
        peer_ms = f"{peer:.3f}" if peer else "-"
        peer_ratio = f"{peer / kiln_ms:.3f}" if peer else "-"
        lines.append(f"{name:<15} {target:<12} {ort_ms:>9.3f} {kiln_ms:>9.3f} {ort_ms / kiln_ms:>9.3f} {peer_ms:>12} "
                     f"{peer_ratio:>6} {gf:>9.2f} {pct:>7}  {status} ({note})")
    for f in failures:
        lines.append("FAIL: " + f)
    text = "\n".join(lines)
    print("\n" + text)
    with open(os.path.join(work, "speed_bench.txt"), "w") as f:
        f.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
