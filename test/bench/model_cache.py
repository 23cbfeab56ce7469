"""Exported benchmark models cached in a work folder, re-exported only when the export scripts' bytes or the
torch/onnx/torchvision versions (or the requested model list) change. Shared by memory_bench.py and speed_bench.py."""
import hashlib
import os
import shutil
import subprocess
import sys

SKIP = 77


def export_stamp(scripts):
    """What an export is a pure function of: the scripts' bytes and the package versions (None: torch/onnx missing)."""
    h = hashlib.sha256()
    for path in scripts:
        with open(path, "rb") as f:
            h.update(f.read())
    probe = ("import torch, onnx\n"
             "try:\n    import torchvision; tv = torchvision.__version__\n"
             "except ImportError:\n    tv = 'none'\n"
             "print(torch.__version__, onnx.__version__, tv)")
    versions = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if versions.returncode != 0:
        return None
    names = "+".join(os.path.basename(p) for p in scripts)
    return f"{names} {h.hexdigest()}; torch/onnx/torchvision {versions.stdout.strip()}"


def ensure_models(work, tag, export_script, scripts, export_args):
    """WORK/models exported by `export_script OUT export_args...`, reusing an earlier export with the same stamp.
    Exits with SKIP when torch or onnx is missing."""
    models = os.path.join(work, "models")
    stamp_path = os.path.join(work, "models.stamp")
    stamp = export_stamp(scripts)
    if stamp is None:
        print(f"{tag}: SKIP: {sys.executable} lacks torch or onnx (apt-get install python3-torch python3-onnx)")
        sys.exit(SKIP)
    stamp += " " + " ".join(export_args)
    if os.path.isdir(models) and os.path.isfile(stamp_path) and open(stamp_path).read().strip() == stamp:
        print(f"{tag}: models are up to date ({stamp})", flush=True)
        return models
    print(f"{tag}: exporting models ({stamp})", flush=True)
    partial = models + ".partial"
    for path in (models, partial, stamp_path):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    subprocess.run([sys.executable, "-W", "ignore::UserWarning", export_script, partial] + export_args, check=True)
    os.rename(partial, models)  # only a complete export counts as present next time
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
    return models
