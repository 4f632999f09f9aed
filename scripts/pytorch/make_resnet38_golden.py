#!/usr/bin/env python3
"""Makes the ResNet-38 + EPS-head reference fixture for Tests/EngineTests.

    python3 scripts/pytorch/make_resnet38_golden.py [--out DIR]

Model: fixture_common.build_fixture_model() (width_divisor 16, C = 20 so fc8
has 21 outputs, fixed seed), in the mode EPS trains and the Swift test compares:
every BatchNorm in eval mode, Dropout2d off, conv1a + b2 stage frozen.
Input x [2, 3, 40, 36] (40 -> 20 -> 10 -> 5 and 36 -> 18 -> 9 -> 5: the third
stride-2 conv rounds 9 up to 5), cam = fc8(relu(bn7(b7(...)))) [2, 21, 5, 5],
float32. Backward: the vector-Jacobian product of sum(cam * grad_cam) for a
random grad_cam, w.r.t. every trainable conv weight (b3 ... b7, fc8) and w.r.t.
the input of b3 (= output of b2_2).

The data are split in two files so each stays under ~2 MB:
  resnet38_w16_eps.safetensors        x, grad_cam, cam, param.<state_dict name>
                                      (every entry but num_batches_tracked)
  resnet38_w16_eps_grads.safetensors  grad.<state_dict name> (trainable convs),
                                      grad_b3_input
Both carry the same metadata (all strings): kind, width_divisor, num_classes,
seed, torch_version, description, command, input/output names, and the float32
error against a float64 recomputation (same float32 values cast to double):
f64_abs_err.<t> = max|f32 - f64|, f64_rel_err.<t> = that / max|f64|.
Byte-deterministic: torch.set_num_threads(1), use_deterministic_algorithms(True), and
fixture_common.write_safetensors (sorted JSON header; read back with safetensors).
"""
import argparse
import copy
import json
import os
import sys

import torch
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import NUM_CLASSES, SEED, WIDTH_DIVISOR, build_fixture_model, forward_backward, write_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "EngineTests", "Fixtures"))
X_SHAPE = (2, 3, 40, 36)


def run(model, x, grad_cam):
    """Forward + backward. Returns cam, {name: grad}, grad_b3_input."""
    return forward_backward(model, x, grad_cam, "b3_input_hook")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    model = build_fixture_model()
    assert not model.training
    for n, p in model.named_parameters():  # the EPS freezing
        assert p.requires_grad == (n in set(model.trainable_names())), n
    g = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(X_SHAPE, generator=g)
    with torch.no_grad():
        _, cam_shape_probe = model(x)
    grad_cam = torch.randn(cam_shape_probe.shape, generator=g)

    cam, grads, grad_b3 = run(model, x, grad_cam)

    m64 = copy.deepcopy(model).double()
    cam64, grads64, grad_b3_64 = run(m64, x.double(), grad_cam.double())

    def errs(name, a, b):
        abs_err = (a.double() - b).abs().max().item()
        return {f"f64_abs_err.{name}": repr(abs_err),
                f"f64_rel_err.{name}": repr(abs_err / max(b.abs().max().item(), 1e-300))}

    err_meta = errs("cam", cam, cam64)
    err_meta.update(errs("grad_b3_input", grad_b3, grad_b3_64))
    for n in grads:
        err_meta.update(errs("grad." + n, grads[n], grads64[n]))
    worst_grad_rel = max(float(v) for k, v in err_meta.items() if k.startswith("f64_rel_err.grad"))

    sd = model.state_dict()
    main_t = {"x": x, "grad_cam": grad_cam, "cam": cam}
    main_t.update({"param." + k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")})
    grad_t = {"grad." + k: v for k, v in grads.items()}
    grad_t["grad_b3_input"] = grad_b3
    for t in (main_t, grad_t):
        for k in t:
            t[k] = t[k].detach().to(torch.float32).contiguous()

    meta = {
        "kind": "resnet38_net",
        "width_divisor": str(WIDTH_DIVISOR),
        "num_classes": str(NUM_CLASSES),
        "num_outputs": str(NUM_CLASSES + 1),
        "seed": str(SEED),
        "torch_version": torch.__version__,
        "dtype": "float32",
        "layout": "NCHW; conv weights [out, in, kh, kw]",
        "mode": "every BatchNorm eval (running stats, eps 1e-5), Dropout2d off, conv1a/b2 stage frozen",
        "description": (
            "ResNet-38 (resnet38d.Net, every width // 16) + EPS head fc8 (1x1, no bias, 21 outputs); "
            "cam = fc8(relu(bn7(b7(...b2(conv1a(x)))))); grad.<name> = d sum(cam*grad_cam) / d <name> "
            "for the trainable conv weights (b3..b7, fc8); grad_b3_input = d sum(cam*grad_cam) / d (b2_2 output). "
            "Weights: see scripts/pytorch/fixture_common.py"),
        "command": "python3 scripts/pytorch/make_resnet38_golden.py",
        "files": "resnet38_w16_eps.safetensors (x, grad_cam, cam, param.*), "
                 "resnet38_w16_eps_grads.safetensors (grad.*, grad_b3_input)",
        "trainable": ",".join(grads.keys()),
        "f64_rel_err.worst_grad": repr(worst_grad_rel),
    }
    meta.update(err_meta)
    os.makedirs(args.out, exist_ok=True)
    p1 = os.path.join(args.out, "resnet38_w16_eps.safetensors")
    p2 = os.path.join(args.out, "resnet38_w16_eps_grads.safetensors")
    write_safetensors(p1, main_t, dict(meta, inputs="x,grad_cam,param.*", outputs="cam"))
    write_safetensors(p2, grad_t, dict(meta, inputs="(in resnet38_w16_eps.safetensors)",
                                       outputs="grad.*,grad_b3_input"))
    # Read back with the safetensors package as a format check.
    for p, t in ((p1, main_t), (p2, grad_t)):
        with safe_open(p, "pt") as f:
            assert set(f.keys()) == set(t) and f.metadata()["kind"] == "resnet38_net"
            for k in t:
                assert torch.equal(f.get_tensor(k), t[k]), k
    for p in (p1, p2):
        print(f"wrote {p} ({os.path.getsize(p)} bytes)")
    print(json.dumps({k: meta[k] for k in ("f64_rel_err.cam", "f64_abs_err.cam", "f64_rel_err.worst_grad",
                                           "f64_rel_err.grad_b3_input")}, indent=1))
    print("cam", tuple(cam.shape), "std %.3f max|.| %.3f" % (cam.std().item(), cam.abs().max().item()))


if __name__ == "__main__":
    main()
