#!/usr/bin/python3
"""Conformance run of Kiln over the ONNX backend test data.

Runs `kiln check --target T` on every test_*/model.onnx under DATA/{node,pytorch-converted,pytorch-operator,simple}
in parallel, classifies each test, prints counts and a table of reasons, and compares with the checked-in
expectations file (one line per test: `node/test_relu PASS` or `node/test_foo UNSUPPORTED <reason>`).

  PASS         kiln check exited 0: every output matched
  FAIL         exit 1: an output differs from the expected one
  UNSUPPORTED  exit 3: kiln refused the model (its one-line reason is kept)
  ERROR        anything else: the generated code did not build or run, a timeout, a crash

Exit status: 0 when every test the expectations file lists as PASS passes (new passes are reported, not
required), 1 on a regression, 2 on bad arguments. --update rewrites the file from this run (tests outside
--filter keep their lines), but refuses to turn a PASS into anything else without --accept-regressions.
Standard library only.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time

SUITES = ("node", "pytorch-converted", "pytorch-operator", "simple")
STATUSES = ("PASS", "FAIL", "UNSUPPORTED", "ERROR")

Result = collections.namedtuple("Result", "name status reason seconds")


def find_tests(data_dir, suites, pattern):
    """Sorted `suite/test_x` names whose folder holds a model.onnx, filtered by the regex."""
    tests = []
    for suite in suites:
        root = os.path.join(data_dir, suite)
        if not os.path.isdir(root):
            continue
        for entry in sorted(os.listdir(root)):
            name = suite + "/" + entry
            if entry.startswith("test_") and os.path.isfile(os.path.join(root, entry, "model.onnx")):
                if pattern is None or pattern.search(name):
                    tests.append(name)
    return tests


def one_line(text):
    """The reason as one stable line: no temp paths, no model paths, node names dropped but op types kept."""
    text = re.sub(r"/tmp/kiln-check-[0-9a-f]+/", "", text)
    text = re.sub(r"\S*/test_[A-Za-z0-9_]+/model\.onnx: ", "", text)
    text = re.sub(r"^kiln \w+: ", "", text)
    # node 'conv1' (Conv, opset 11): ... -> Conv: ...
    text = re.sub(r"node '[^']*' \(([^,]+), opset \d+\): ", r"\1: ", text)
    text = " ".join(text.split())
    return text[:200]


def classify(code, out, err, timed_out, timeout):
    if timed_out:
        return "ERROR", "timeout after {}s".format(timeout)
    if code == 0:
        return "PASS", ""
    err_lines = [l for l in err.splitlines() if l.strip()]
    first = err_lines[0] if err_lines else ""
    if code == 1:
        mism = [l for l in out.splitlines() if "MISMATCH" in l]
        if mism:
            m = re.search(r"output (\d+) '([^']*)'.*MISMATCH(.*)", mism[0])
            if m:
                return "FAIL", "output {} '{}' mismatch{}".format(m.group(1), m.group(2), m.group(3).strip() and " " + m.group(3).strip())
        return "FAIL", one_line(first or "outputs differ")
    if code == 3:
        return "UNSUPPORTED", one_line(first)
    if code == 4:
        # The first compiler diagnostic says more than the wrapper line.
        diag = [l for l in err_lines if "error:" in l]
        return "ERROR", one_line(diag[0] if diag else first)
    if code < 0:
        return "ERROR", "kiln killed by signal {}".format(-code)
    return "ERROR", "exit {}".format(code) + (": " + one_line(first) if first else "")


# Kiln compiles static shapes: a test that feeds a shape, axes or similar input at run time is specialised to
# its data by compiling those integer inputs in as constants (kiln check --freeze-int-inputs); the result
# then says so in its reason. A float input that must be constant too (Resize's scales and roi) is named in
# kiln's reason ("input 2 ('scales', the scales) must be a compile-time constant") and frozen by name.
NEEDS_CONSTANT = ("must be a compile-time constant", "must be a constant")
FROZEN_NOTE = "with --freeze-int-inputs"
NAMED_INPUT = re.compile(r"input \d+ \('([^']+)'")


def needs_constant(result):
    return result.status == "UNSUPPORTED" and any(k in result.reason for k in NEEDS_CONSTANT)


def run_test(kiln, data_dir, target, name, timeout):
    result = run_check(kiln, data_dir, target, name, timeout, [])
    if not needs_constant(result):
        return result
    seconds = result.seconds
    named = []
    while True:
        extra = ["--freeze-int-inputs"] + [a for n in named for a in ("--freeze", n)]
        frozen = run_check(kiln, data_dir, target, name, timeout, extra)
        seconds += frozen.seconds
        more = [n for n in NAMED_INPUT.findall(frozen.reason) if n not in named] if needs_constant(frozen) else []
        if not more or len(named) >= 8:
            break
        named += more
    note = FROZEN_NOTE + "".join(" --freeze " + n for n in named)
    reason = note if frozen.status == "PASS" else "{}: {}".format(note, frozen.reason)
    return Result(name, frozen.status, reason, seconds)


def run_check(kiln, data_dir, target, name, timeout, extra):
    model = os.path.join(data_dir, name, "model.onnx")
    cmd = [kiln, "check", model, "--target", target, "--timeout", str(timeout)] + extra
    start = time.monotonic()
    # A session of its own so a timeout can kill kiln and whatever it started.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)  # compile + build + run
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    status, reason = classify(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                              timed_out, timeout)
    return Result(name, status, reason, time.monotonic() - start)


# Native targets for an instruction set: the CPU flags (/proc/cpuinfo) their code needs.
TARGET_CPU_FLAGS = {
    "x86-avx2": ["avx2", "fma"],
    "x86-avx512": ["avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"],
}


def missing_cpu_flags(target):
    need = TARGET_CPU_FLAGS.get(target, [])
    if not need:
        return []
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.partition(":")[2].split())
                    break
    except OSError:
        pass
    return [f for f in need if f not in flags]


def read_expectations(path):
    expected = {}
    if not path or not os.path.exists(path):
        return expected
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) < 2 or parts[1] not in STATUSES:
                sys.exit("{}:{}: expected 'suite/test_name STATUS [reason]', got: {}".format(path, lineno, line))
            expected[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return expected


def write_expectations(path, entries, target):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("# Kiln conformance expectations for --target {}: one line per ONNX backend test,\n".format(target))
        f.write("# `suite/test_name STATUS [reason]`. Written by test/conformance/run_conformance.py --update;\n")
        f.write("# a test listed as PASS that stops passing fails the conformance run.\n")
        for name in sorted(entries):
            status, reason = entries[name]
            f.write("{} {}{}\n".format(name, status, " " + reason if reason else ""))
    os.replace(path + ".tmp", path)


def print_summary(results, max_reasons):
    counts = collections.Counter(r.status for r in results)
    print("\n{} tests: ".format(len(results)) + ", ".join("{} {}".format(s, counts.get(s, 0)) for s in STATUSES))
    by_suite = collections.defaultdict(collections.Counter)
    for r in results:
        by_suite[r.name.split("/")[0]][r.status] += 1
    for suite in sorted(by_suite):
        c = by_suite[suite]
        print("  {:<18} ".format(suite) + "  ".join("{} {:>4}".format(s, c.get(s, 0)) for s in STATUSES))
    reasons = collections.Counter((r.status, r.reason) for r in results if r.status != "PASS")
    if reasons:
        print("\nreasons (count, status, reason):")
        for (status, reason), n in reasons.most_common(max_reasons):
            print("  {:>5}  {:<11}  {}".format(n, status, reason))
        if len(reasons) > max_reasons:
            print("  ... {} more distinct reasons (--reasons N shows more)".format(len(reasons) - max_reasons))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True, help="the kiln binary")
    ap.add_argument("--target", default="portable")
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data", help="ONNX backend test data root")
    ap.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites (default: all four)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per model (compile, build and run)")
    ap.add_argument("--filter", help="only tests whose suite/test_name matches this regex")
    ap.add_argument("--expectations", help="expectations file to compare with (and --update)")
    ap.add_argument("--update", action="store_true", help="rewrite the expectations file from this run")
    ap.add_argument("--accept-regressions", action="store_true", help="let --update turn PASS into anything else")
    ap.add_argument("--report", help="write every result as JSON here")
    ap.add_argument("--reasons", type=int, default=40, help="rows of the reason table")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every test as it finishes")
    args = ap.parse_args()

    if not os.access(args.kiln, os.X_OK):
        ap.error("--kiln {} is not an executable".format(args.kiln))
    if args.update and not args.expectations:
        ap.error("--update needs --expectations")
    suites = [s for s in args.suites.split(",") if s]
    for s in suites:
        if s not in SUITES:
            ap.error("unknown suite '{}' (known: {})".format(s, ", ".join(SUITES)))
    try:
        pattern = re.compile(args.filter) if args.filter else None
    except re.error as e:
        ap.error("--filter: {}".format(e))
    missing = missing_cpu_flags(args.target)
    if missing:
        print("target {} runs natively and this CPU lacks {}: skipped".format(args.target, ", ".join(missing)))
        return 77
    tests = find_tests(args.data, suites, pattern)
    if not tests:
        print("no tests found under {} for suites {}{}".format(args.data, ",".join(suites),
                                                              " matching " + args.filter if args.filter else ""))
        return 1

    print("kiln conformance: {} tests, target {}, {} jobs".format(len(tests), args.target, args.jobs), flush=True)
    results = []
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_test, args.kiln, args.data, args.target, t, args.timeout) for t in tests]
        for i, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            if args.verbose:
                print("[{}/{}] {} {} {}".format(i, len(tests), r.name, r.status, r.reason), flush=True)
            elif i % 100 == 0:
                print("  {}/{} done".format(i, len(tests)), flush=True)
    results.sort(key=lambda r: r.name)
    print_summary(results, args.reasons)
    slowest = sorted(results, key=lambda r: -r.seconds)[:3]
    print("\nwall time {:.0f}s; slowest: {}".format(time.monotonic() - start,
                                                    ", ".join("{} {:.1f}s".format(r.name, r.seconds) for r in slowest)))

    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({"target": args.target, "results": [r._asdict() for r in results]}, f, indent=1)

    expected = read_expectations(args.expectations)
    in_scope = {n: e for n, e in expected.items()
                if n.split("/")[0] in suites and (pattern is None or pattern.search(n))}
    got = {r.name: r for r in results}
    regressions = [(n, e, got.get(n)) for n, e in sorted(in_scope.items())
                   if e[0] == "PASS" and (n not in got or got[n].status != "PASS")]
    newly_passing = [r for r in results if r.status == "PASS" and in_scope.get(r.name, ("", ""))[0] != "PASS"]
    changed = [(r, in_scope[r.name]) for r in results
               if r.name in in_scope and in_scope[r.name][0] not in ("PASS", r.status) and r.status != "PASS"]
    unlisted = [r for r in results if r.name not in in_scope]

    if args.expectations:
        print("\ncompared with {}: {} regressions, {} newly passing, {} changed status, {} not listed".format(
            args.expectations, len(regressions), len(newly_passing), len(changed), len(unlisted)))
        for n, e, r in regressions:
            print("  REGRESSION {}: expected PASS, got {}".format(
                n, "no such test" if r is None else "{} ({})".format(r.status, r.reason)))
        for r in newly_passing:
            print("  NEWLY PASSING {}".format(r.name))
        for r, e in changed:
            print("  changed {}: {} -> {} ({})".format(r.name, e[0], r.status, r.reason))
        if newly_passing and not args.update:
            print("  (run with --update to record new passes)")

    if args.update:
        if regressions and not args.accept_regressions:
            print("\nnot updating {}: {} PASS tests would stop passing (add --accept-regressions to record that)"
                  .format(args.expectations, len(regressions)))
            return 1
        entries = {n: e for n, e in expected.items() if n not in got}  # tests outside this run keep their lines
        entries.update({r.name: (r.status, r.reason) for r in results})
        for n, _, r in regressions:
            if r is None:
                entries.pop(n, None)
        write_expectations(args.expectations, entries, args.target)
        print("\nwrote {} ({} tests)".format(args.expectations, len(entries)))
        return 0
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
