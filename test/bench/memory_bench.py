#!/usr/bin/python3
"""Kiln's memory benchmark: per model, the arena Kiln plans against the lower bound, a TFLite-Micro-style plan
and no planning at all (see test/bench/README.md for what each number is exactly).

    /usr/bin/python3 test/bench/memory_bench.py --kiln build/compiler/kiln --work DIR [--export] [--check]
                                                [--models ds_cnn,unet,...] [--target portable]

With --export, DIR/models is (re)made by examples/models/export_bench_models.py when that script, the helpers
it imports or the torch/onnx/torchvision versions changed (DIR/models.stamp records them); without it the
models must already be there. Every model is compiled by `kiln compile --report` (the sources go to a
temporary folder and are removed; the reports stay in DIR/reports/NAME.{json,html}) and the table is made
from the JSON reports only. It is printed and written to DIR/memory_bench.txt. --check exits 1 unless, for
every model, arena <= 1.10 x lower bound and arena <= TFLM-style greedy, and no BatchNormalization is left. Exit 77: torch is missing (--export).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model_cache  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
EXPORT_SCRIPT = os.path.join(ROOT, "examples", "models", "export_bench_models.py")
EXPORT_HELPERS = os.path.join(ROOT, "examples", "models", "export_models.py")
MAX_OVER_LOWER_BOUND = 1.10
SKIP = model_cache.SKIP


def ensure_models(work):
    return model_cache.ensure_models(work, "memory_bench", EXPORT_SCRIPT, (EXPORT_SCRIPT, EXPORT_HELPERS),
                                     ["--skip-unavailable"])


def model_names(models, wanted):
    order = subprocess.run([sys.executable, EXPORT_SCRIPT, "--list"], capture_output=True, text=True,
                           check=True).stdout.split() if os.path.exists(EXPORT_SCRIPT) else []
    present = sorted(d for d in os.listdir(models) if os.path.isfile(os.path.join(models, d, "model.onnx")))
    names = [n for n in order if n in present] + [n for n in present if n not in order]
    skipped = sorted(f[:-len(".skipped")] for f in os.listdir(models) if f.endswith(".skipped"))
    if wanted:
        missing = [n for n in wanted if n not in names and n not in skipped]
        if missing:
            sys.exit(f"memory_bench: no model {', '.join(missing)} in {models}")
        names = [n for n in names if n in wanted]
        skipped = [n for n in skipped if n in wanted]
    return names, skipped


def compile_report(kiln, model, name, reports, target):
    json_path = os.path.join(reports, name + ".json")
    html_path = os.path.join(reports, name + ".html")
    with tempfile.TemporaryDirectory(prefix="kiln-bench-") as out:
        r = subprocess.run([kiln, "compile", model, "-o", out, "--name", name, "--target", target,
                            "--report", json_path, "--report", html_path], capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")
    with open(json_path) as f:
        return json.load(f), None


def ratio(a, b):
    return f"{a / b:.3f}" if b else "-"


def table(rows):
    head = ["model", "layers", "arena", "lower bound", "TFLM-style", "naive", "naive (file)",
            "arena/LB", "arena/TFLM", "arena/naive(file)"]
    lines = []
    for name, j in rows:
        layers = f"{j['layer_count']}/{j['tflm_layers']}" if j.get("tflm_layers") is not None else str(j["layer_count"])
        tflm = j.get("tflm_greedy_bytes")
        file_naive = j.get("tflm_naive_bytes")
        lines.append([name, layers, str(j["arena_bytes"]), str(j["arena_lower_bound_bytes"]),
                      str(tflm) if tflm is not None else "-", str(j["naive_bytes"]),
                      str(file_naive) if file_naive is not None else "-",
                      ratio(j["arena_bytes"], j["arena_lower_bound_bytes"]),
                      ratio(j["arena_bytes"], tflm) if tflm else "-",
                      ratio(j["arena_bytes"], file_naive) if file_naive else "-"])
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(len(head))]
    fmt_row = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    out = [fmt_row(head), fmt_row(["-" * w for w in widths])] + [fmt_row(r) for r in lines]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True, help="the kiln binary")
    ap.add_argument("--work", required=True, help="folder for models/, reports/ and memory_bench.txt")
    ap.add_argument("--export", action="store_true", help="(re)export the models into WORK/models when stale")
    ap.add_argument("--models", default="", help="comma-separated subset (default: every model in WORK/models)")
    ap.add_argument("--target", default="portable")
    ap.add_argument("--check", action="store_true",
                    help=f"exit 1 unless arena <= {MAX_OVER_LOWER_BOUND:.2f} x lower bound, arena <= TFLM-style "
                         "and no BatchNormalization survives")
    args = ap.parse_args()

    os.makedirs(args.work, exist_ok=True)
    models = ensure_models(args.work) if args.export else os.path.join(args.work, "models")
    if not os.path.isdir(models):
        sys.exit(f"memory_bench: {models} does not exist (run with --export)")
    names, skipped = model_names(models, [n for n in args.models.split(",") if n])
    reports = os.path.join(args.work, "reports")
    os.makedirs(reports, exist_ok=True)

    rows, problems = [], []
    for name in names:
        j, error = compile_report(args.kiln, os.path.join(models, name, "model.onnx"), name, reports, args.target)
        if error:
            problems.append(f"{name}: kiln compile failed: {error}")
            continue
        rows.append((name, j))
        arena, bound, tflm = j["arena_bytes"], j["arena_lower_bound_bytes"], j.get("tflm_greedy_bytes")
        if arena > MAX_OVER_LOWER_BOUND * bound:
            problems.append(f"{name}: arena {arena} bytes is {arena / bound:.3f} x the lower bound {bound} "
                            f"(at most {MAX_OVER_LOWER_BOUND:.2f})")
        if tflm is None:
            problems.append(f"{name}: the report has no tflm_greedy_bytes")
        elif arena > tflm:
            problems.append(f"{name}: arena {arena} bytes is larger than the TFLM-style plan's {tflm} bytes")
        if j.get("ops", {}).get("BatchNormalization"):
            problems.append(f"{name}: {j['ops']['BatchNormalization']} BatchNormalization nodes survive the passes "
                            f"(fold-batchnorm should leave none)")

    text = (f"Kiln memory benchmark, target {args.target} (bytes; layers = after Kiln's passes / in the unfused graph)\n\n"
            + table(rows) + "\n")
    if skipped:
        text += f"\nleft out (see {models}/NAME.skipped): {', '.join(skipped)}\n"
    text += f"\nHTML pictures of each plan: {reports}/NAME.html\n"
    print("\n" + text, flush=True)
    with open(os.path.join(args.work, "memory_bench.txt"), "w") as f:
        f.write(text)
    for p in problems:
        print("memory_bench: " + ("FAIL: " if args.check else "") + p)
    if args.check and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
