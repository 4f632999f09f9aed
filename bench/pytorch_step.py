#!/usr/bin/env python3
"""PyTorch CPU on the same EPS training step as `eps-dist bench`
(never run in CI; needs torch). Same network: ResNet-38 (scripts/pytorch/resnet38_model.py,
frozen as the reference: every BN eval, conv1a + b2 frozen, dropout on) or
EfficientNet-Lite0 at output stride 16 (scripts/pytorch/lite0_model.py, frozen as eps-dist
freezes it: every BN eval, the stem and blocks 0-2), 
batch of random images, loss = sum(cam * g) so the backward work is the
step's, SGD update. Prints seconds per step and GFLOP/s using the FLOP count
eps-dist reported for the same step, and the ratio to eps-dist.

--arch deeplabv2-resnet101|deeplabv2-resnet50|deeplabv2-tiny: one deeplab-pytorch training step
(scripts/pytorch/deeplabv2_model.py, 21 classes): MSC forward (scales 1, 0.5, 0.75 and the max),
random labels PIL-nearest resized to each of the four outputs, the sum of the four
CrossEntropyLoss(ignore_index=255) terms, backward, SGD momentum 0.9 with dlp's groups (backbone
convs lr, ASPP weights 10 lr, ASPP biases 20 lr without weight decay). BN frozen as dlp
(base.freeze_bn(), not in the optimizer), except for the tiny preset, whose BN trains (batch
statistics, in the optimizer) as eps-dist trains it from scratch. Default crop 321.

    .build/release/eps-dist bench --arch resnet38 --crop-size 224 --batch-size 1 --threads 1 --json /tmp/eps.json
    python3 bench/pytorch_step.py --crop-size 224 --batch-size 1 --threads 1 --eps-json /tmp/eps.json
    (add --arch efficientnet-lite0 to both for Lite0)
    python3 bench/pytorch_step.py --arch deeplabv2-resnet101 --batch 1 --threads 1 [--eps-json ...]
"""
import argparse, json, os, resource, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "pytorch"))
import torch

p = argparse.ArgumentParser()
p.add_argument("--arch", choices=["resnet38", "efficientnet-lite0", "deeplabv2-resnet101", "deeplabv2-resnet50",
                                  "deeplabv2-tiny"], default="resnet38")
p.add_argument("--crop-size", type=int, default=None, help="default 224, 321 for the DeepLab-v2 archs")
p.add_argument("--batch-size", "--batch", type=int, default=1, help="images per rank")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=2)
p.add_argument("--eps-json", help="eps-dist bench JSON of the same step (for its FLOP count and time)")
a = p.parse_args()
deeplab = a.arch.startswith("deeplabv2-")
if a.crop_size is None:
    a.crop_size = 321 if deeplab else 224

torch.set_num_threads(a.threads)
torch.manual_seed(0)
if deeplab:
    import numpy as np
    import torch.nn.functional as F
    from deeplabv2_model import deeplabv2_msc, dlp_param_groups
    from make_deeplab_golden import resize_label_batch
    preset = a.arch[len("deeplabv2-"):]
    model = deeplabv2_msc(21, preset)
    model.train()
    groups = dlp_param_groups(model, lr=2.5e-4, weight_decay=5e-4)
    if preset != "tiny":
        model.base.freeze_bn()
    else:
        bn = [q for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d) for q in m.parameters()]
        groups[0]["params"] = groups[0]["params"] + bn
    opt = torch.optim.SGD(groups, lr=2.5e-4, momentum=0.9)
    x = torch.randn(a.batch_size, 3, a.crop_size, a.crop_size)
    labels = np.random.default_rng(0).integers(0, 21, (a.batch_size, a.crop_size, a.crop_size)).astype(np.float32)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = 0
        for logit in model(x):
            target = torch.from_numpy(resize_label_batch(labels, *logit.shape[2:])).long()
            loss = loss + F.cross_entropy(logit, target, ignore_index=255)
        loss.backward()
        opt.step()
elif a.arch == "resnet38":
    from resnet38_model import ResNet38EPS
    model = ResNet38EPS(num_outputs=21)
else:
    from lite0_model import Lite0EPS
    model = Lite0EPS(num_outputs=21, output_stride=16)
if not deeplab:
    model.train()
    model.freeze_like_eps()
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=5e-4, weight_decay=5e-4)
    x = torch.randn(a.batch_size, 3, a.crop_size, a.crop_size)
    g = None

    def step():
        global g
        opt.zero_grad(set_to_none=True)
        _, cam = model(x)
        if g is None:
            g = torch.randn_like(cam)
        (cam * g).sum().backward()
        opt.step()

step()  # warm-up
times = []
for _ in range(a.steps):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
seconds = sum(times) / len(times)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch {torch.__version__}: {a.arch}, crop {a.crop_size}, batch {a.batch_size}, {a.threads} thread(s): {seconds:.3f} s/step, peak RSS {peak_mb:.0f} MB")
if a.eps_json:
    e = json.load(open(a.eps_json))
    gflop = e["step_gflop"]
    print(f"  same step work {gflop:.1f} GFLOP → pytorch {gflop / seconds:.1f} GFLOP/s; "
          f"eps-dist {e['step_seconds']:.3f} s/step, {e['step_gflops']:.1f} GFLOP/s; "
          f"eps-dist / pytorch speed = {seconds / e['step_seconds']:.3f}")
