#!/usr/bin/python3
"""Self-test of run_conformance.py against a fake kiln: classification, reasons, expectations, --update rules.

Runs in a second or two (label `unit`); the real conformance run is `conformance.portable`.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_conformance.py")

# Behaves like `kiln check MODEL ...` according to the test folder's name.
FAKE_KILN = textwrap.dedent("""\
    #!/usr/bin/python3
    import sys, time
    model = sys.argv[2]
    name = model.split("/")[-2]
    if name == "test_pass":
        print("PASS: 1 outputs match"); sys.exit(0)
    if name == "test_fail":
        print("  test_data_set_0 output 0 'y' f32[2]: max abs error 1 MISMATCH (2 elements)"); sys.exit(1)
    if name in ("test_unsup", "test_unsup2"):
        sys.stderr.write("kiln check: " + model + ": node 'conv_7' (Conv, opset 11): operator is not supported\\n")
        sys.exit(3)
    if name == "test_build":
        sys.stderr.write("kiln check: " + model + ": generated code did not build (exit 1):\\n"
                         "/tmp/kiln-check-0badc0de/model.cpp:3:1: error: expected ';'\\n")
        sys.exit(4)
    if name == "test_frozen":
        # Needs its integer input `sizes` and its float input `roi` frozen, and says which one is missing.
        args = sys.argv[3:]
        frozen = [args[i + 1] for i, a in enumerate(args) if a == "--freeze"]
        missing = "sizes" if "--freeze-int-inputs" not in args else "roi" if "roi" not in frozen else None
        if missing:
            sys.stderr.write("kiln check: " + model + ": node 'r' (Resize, opset 13): input 1 ('" + missing +
                             "', the " + missing + ") must be a compile-time constant: ...\\n")
            sys.exit(3)
        print("PASS: 1 outputs match"); sys.exit(0)
    if name == "test_hang":
        time.sleep(30)
    sys.exit(99)
""")


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = self.tmp.name
        self.data = os.path.join(root, "data")
        for test in ("node/test_pass", "node/test_fail", "node/test_unsup", "node/test_unsup2", "node/test_frozen", "simple/test_build",
                     "simple/test_hang", "simple/test_crash"):
            os.makedirs(os.path.join(self.data, test))
            open(os.path.join(self.data, test, "model.onnx"), "w").close()
        os.makedirs(os.path.join(self.data, "node", "test_no_model"))  # not a test: no model.onnx
        self.kiln = os.path.join(root, "kiln")
        with open(self.kiln, "w") as f:
            f.write(FAKE_KILN)
        os.chmod(self.kiln, 0o755)
        self.expect = os.path.join(root, "expectations.txt")

    def tearDown(self):
        self.tmp.cleanup()

    def run_runner(self, *args, filter_regex="test_(pass|fail|unsup|build|crash)"):
        cmd = [sys.executable, RUNNER, "--kiln", self.kiln, "--data", self.data, "-j", "4", "--timeout", "1"]
        if filter_regex:
            cmd += ["--filter", filter_regex]
        r = subprocess.run(cmd + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        return r.returncode, r.stdout + r.stderr

    def write_expectations(self, text):
        with open(self.expect, "w") as f:
            f.write(textwrap.dedent(text))

    def read_expectations(self):
        with open(self.expect) as f:
            return [l.rstrip("\n") for l in f if not l.startswith("#")]

    def test_classifies_and_counts(self):
        code, out = self.run_runner()
        self.assertEqual(code, 0, out)
        self.assertIn("6 tests: PASS 1, FAIL 1, UNSUPPORTED 2, ERROR 2", out)
        self.assertIn("2  UNSUPPORTED  Conv: operator is not supported", out)
        self.assertIn("ERROR        model.cpp:3:1: error: expected ';'", out)
        self.assertIn("ERROR        exit 99", out)
        self.assertIn("FAIL         output 0 'y' mismatch (2 elements)", out)

    def test_timeout_is_an_error(self):
        code, out = self.run_runner(filter_regex="test_hang")
        self.assertEqual(code, 0, out)
        self.assertIn("ERROR        timeout after 1s", out)

    def test_update_writes_one_line_per_test(self):
        code, out = self.run_runner("--expectations", self.expect, "--update")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.read_expectations(), [
            "node/test_fail FAIL output 0 'y' mismatch (2 elements)",
            "node/test_pass PASS",
            "node/test_unsup UNSUPPORTED Conv: operator is not supported",
            "node/test_unsup2 UNSUPPORTED Conv: operator is not supported",
            "simple/test_build ERROR model.cpp:3:1: error: expected ';'",
            "simple/test_crash ERROR exit 99",
        ])
        code, out = self.run_runner("--expectations", self.expect)
        self.assertEqual(code, 0, out)
        self.assertIn("0 regressions, 0 newly passing", out)

    def test_a_pass_that_stops_passing_is_a_regression(self):
        self.write_expectations("""\
            node/test_pass PASS
            node/test_unsup PASS
            """)
        code, out = self.run_runner("--expectations", self.expect)
        self.assertEqual(code, 1, out)
        self.assertIn("REGRESSION node/test_unsup: expected PASS, got UNSUPPORTED (Conv: operator is not supported)", out)

    def test_update_refuses_regressions_unless_accepted(self):
        self.write_expectations("node/test_unsup PASS\n")
        code, out = self.run_runner("--expectations", self.expect, "--update")
        self.assertEqual(code, 1, out)
        self.assertIn("not updating", out)
        self.assertEqual(self.read_expectations(), ["node/test_unsup PASS"])
        code, out = self.run_runner("--expectations", self.expect, "--update", "--accept-regressions")
        self.assertEqual(code, 0, out)
        self.assertIn("node/test_unsup UNSUPPORTED Conv: operator is not supported", self.read_expectations())

    def test_newly_passing_tests_are_reported_not_required(self):
        self.write_expectations("node/test_pass UNSUPPORTED Add: operator is not supported\n")
        code, out = self.run_runner("--expectations", self.expect)
        self.assertEqual(code, 0, out)
        self.assertIn("NEWLY PASSING node/test_pass", out)

    def test_filter_limits_the_run_and_update_keeps_other_lines(self):
        self.write_expectations("""\
            node/test_fail FAIL old reason
            simple/test_other PASS
            """)
        code, out = self.run_runner("--expectations", self.expect, "--update", filter_regex="node/test_pass$")
        self.assertEqual(code, 0, out)
        self.assertIn("1 tests: PASS 1", out)
        self.assertEqual(self.read_expectations(),
                         ["node/test_fail FAIL old reason", "node/test_pass PASS", "simple/test_other PASS"])

    def test_a_listed_pass_that_no_longer_exists_is_a_regression(self):
        self.write_expectations("node/test_gone PASS\n")
        code, out = self.run_runner("--expectations", self.expect, "--suites", "node", filter_regex=None)
        self.assertEqual(code, 1, out)
        self.assertIn("REGRESSION node/test_gone: expected PASS, got no such test", out)

    def test_inputs_that_must_be_constant_are_frozen(self):
        code, out = self.run_runner("-v", filter_regex="test_frozen")
        self.assertEqual(code, 0, out)
        self.assertIn("node/test_frozen PASS with --freeze-int-inputs --freeze roi", out)

    def test_bad_arguments(self):
        code, out = self.run_runner("--suites", "nope")
        self.assertEqual(code, 2, out)
        code, out = self.run_runner(filter_regex="(")
        self.assertEqual(code, 2, out)
        code, out = self.run_runner("--update")
        self.assertEqual(code, 2, out)


if __name__ == "__main__":
    unittest.main()
