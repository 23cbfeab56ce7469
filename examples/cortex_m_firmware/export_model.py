#!/usr/bin/python3
"""Exports the keyword-spotting DS-CNN the firmware example runs to one ONNX file.

    /usr/bin/python3 export_model.py OUT.onnx

The network is examples/models/export_bench_models.py's `ds_cnn` (the MLPerf Tiny KWS reference shape: input
1x1x49x10 MFCC features, a 10x4 stride-2 Conv to 64 channels, four depthwise-separable blocks, average pool,
Linear to 12 classes; BatchNorm nodes kept, seed 2001), imported from there rather than copied, so the
firmware and the memory benchmark compile the same model. Needs Debian's python3-torch and python3-onnx.
"""
import os
import shutil
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import torch  # noqa: E402
from export_bench_models import MODELS  # noqa: E402
from export_models import export_model  # noqa: E402


def main():
    if len(sys.argv) != 2 or not sys.argv[1].endswith(".onnx"):
        sys.exit(__doc__.split("\n\n")[1].strip().replace("/usr/bin/python3 ", "usage: "))
    out = os.path.abspath(sys.argv[1])
    # PRESERVE mode (which keeps the BatchNorm nodes) makes torch warn about constant folding; the model is in
    # eval mode, so folding is exact.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    # export_model writes DIR/ds_cnn/model.onnx (and PyTorch's own input/output, not needed here); the file
    # is moved into place only when complete, so an interrupted export never looks like a model.
    with tempfile.TemporaryDirectory(dir=os.path.dirname(out) or ".") as tmp:
        export_model("ds_cnn", MODELS["ds_cnn"], tmp, "export_model")
        shutil.move(os.path.join(tmp, "ds_cnn", "model.onnx"), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
