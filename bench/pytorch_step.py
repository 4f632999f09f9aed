#!/usr/bin/env python3
"""PyTorch CPU on the same EPS training step as `eps-dist bench`
(never run in CI; needs torch). Same network: ResNet-38 (scripts/pytorch/resnet38_model.py,
frozen as the reference: every BN eval, conv1a + b2 frozen, dropout on) or
EfficientNet-Lite0 at output stride 16 (scripts/pytorch/lite0_model.py, frozen as eps-dist
freezes it: every BN eval, the stem and blocks 0-2), 
batch of random images, loss = sum(cam * g) so the backward work is the
step's, SGD update. Prints seconds per step and GFLOP/s using the FLOP count
eps-dist reported for the same step, and the ratio to eps-dist.

    .build/release/eps-dist bench --arch resnet38 --crop-size 224 --batch-size 1 --threads 1 --json /tmp/eps.json
    python3 bench/pytorch_step.py --crop-size 224 --batch-size 1 --threads 1 --eps-json /tmp/eps.json
    (add --arch efficientnet-lite0 to both for Lite0)
"""
import argparse, json, os, resource, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "pytorch"))
import torch

p = argparse.ArgumentParser()
p.add_argument("--arch", choices=["resnet38", "efficientnet-lite0"], default="resnet38")
p.add_argument("--crop-size", type=int, default=224)
p.add_argument("--batch-size", type=int, default=1)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=2)
p.add_argument("--eps-json", help="eps-dist bench JSON of the same step (for its FLOP count and time)")
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
if a.arch == "resnet38":
    from resnet38_model import ResNet38EPS
    model = ResNet38EPS(num_outputs=21)
else:
    from lite0_model import Lite0EPS
    model = Lite0EPS(num_outputs=21, output_stride=16)
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
