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
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import (NUM_CLASSES, SEED, WIDTH_DIVISOR, as_float32, build_fixture_model,  # noqa: E402
                            check_eps_mode, check_readback, draw_inputs, float64_error_meta,
                            forward_backward, network_meta, parse_args_deterministic, write_safetensors)

X_SHAPE = (2, 3, 40, 36)
HOOK = "b3_input_hook"  # the model's hook on the input of b3, the first trained stage


def main():
    args = parse_args_deterministic(__doc__)
    model = build_fixture_model()
    check_eps_mode(model)
    x, grad_cam, _ = draw_inputs(model, SEED, X_SHAPE)

    cam, grads, grad_b3 = forward_backward(model, x, grad_cam, HOOK)
    err_meta, worst_grad_rel = float64_error_meta(model, x, grad_cam, HOOK, "grad_b3_input", cam, grads, grad_b3)

    sd = model.state_dict()
    main_t = {"x": x, "grad_cam": grad_cam, "cam": cam}
    main_t.update({"param." + k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")})
    grad_t = {"grad." + k: v for k, v in grads.items()}
    grad_t["grad_b3_input"] = grad_b3
    main_t, grad_t = as_float32(main_t), as_float32(grad_t)

    meta = network_meta("resnet38_net", "every BatchNorm eval (running stats, eps 1e-5), Dropout2d off, conv1a/b2 stage frozen",
                        SEED, WIDTH_DIVISOR, NUM_CLASSES)
    meta.update({
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
    })
    meta.update(err_meta)
    os.makedirs(args.out, exist_ok=True)
    p1 = os.path.join(args.out, "resnet38_w16_eps.safetensors")
    p2 = os.path.join(args.out, "resnet38_w16_eps_grads.safetensors")
    write_safetensors(p1, main_t, dict(meta, inputs="x,grad_cam,param.*", outputs="cam"))
    write_safetensors(p2, grad_t, dict(meta, inputs="(in resnet38_w16_eps.safetensors)",
                                       outputs="grad.*,grad_b3_input"))
    for p, t in ((p1, main_t), (p2, grad_t)):
        check_readback(p, t, "resnet38_net")
    for p in (p1, p2):
        print(f"wrote {p} ({os.path.getsize(p)} bytes)")
    print(json.dumps({k: meta[k] for k in ("f64_rel_err.cam", "f64_abs_err.cam", "f64_rel_err.worst_grad",
                                           "f64_rel_err.grad_b3_input")}, indent=1))
    print("cam", tuple(cam.shape), "std %.3f max|.| %.3f" % (cam.std().item(), cam.abs().max().item()))


if __name__ == "__main__":
    main()
