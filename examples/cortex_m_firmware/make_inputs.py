#!/usr/bin/python3
"""Seeded test inputs for a model: DIR/input_N.pb, one per run-time graph input, standard-normal float32.

    make_inputs.py MODEL.onnx DIR [--seed N]

The firmware example makes its test vectors from these: `kiln run MODEL --data DIR --out DIR` adds the
reference evaluator's output_N.pb, and the boards' make_vectors.py (runtime-stubs/boards/common) turns the
folder into the header the firmware compiles in. Static shapes and float32 inputs only (what a keyword
spotter takes). Needs numpy and python3-onnx, not torch.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    model = onnx.load(args.model, load_external_data=False)
    constants = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in constants]
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    for k, info in enumerate(inputs):
        tensor_type = info.type.tensor_type
        if tensor_type.elem_type != onnx.TensorProto.FLOAT:
            sys.exit(f"make_inputs: {args.model}: input '{info.name}' is not float32")
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim]
        if any(d <= 0 for d in dims):
            sys.exit(f"make_inputs: {args.model}: input '{info.name}' has no static shape; export it with one")
        data = rng.standard_normal(dims).astype(np.float32)
        with open(os.path.join(args.dir, f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(data, name=info.name).SerializeToString())
    print(f"make_inputs: {len(inputs)} seeded input(s) (seed {args.seed}) in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
