#!/usr/bin/env python3
"""PyTorch CPU on the official `infer.py` procedure for one image (never run in CI; needs torch
and Pillow), the baseline of `eps-dist bench --infer` (docs/PERFORMANCE.md, "CAM inference").

Per image, as ../shared/reference/eps-reference.md section 5 describes infer.py: scales 0.5, 1,
1.5, 2 (PIL bicubic to round-half-even sizes), each image and its horizontal flip run alone
(batch 1) through ResNet-38 in eval mode under torch.no_grad (scripts/pytorch/resnet38_model.py,
random weights: the work does not depend on them), EPS softmax over C+1 channels, bilinear
(align_corners=False) to the image size, × the label vector, flipped maps flipped back, summed;
per-class max normalisation and the argmax against thr 0.20. The image is random RGB of the
given size, all 20 labels on (the most work the fusion does).

    python3 bench/pytorch_infer.py --width 500 --height 375 --threads 2 --images 2 [--eps-json F]
"""
import argparse, json, os, resource, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "pytorch"))
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("--width", type=int, default=500)
p.add_argument("--height", type=int, default=375)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--images", type=int, default=2, help="timed images (after one warm-up image)")
p.add_argument("--scales", type=float, nargs="+", default=[0.5, 1.0, 1.5, 2.0])
p.add_argument("--eps-json", help="eps-dist bench --infer JSON of the same image size and threads")
a = p.parse_args()

from resnet38_model import ResNet38EPS

torch.set_num_threads(a.threads)
torch.manual_seed(0)
classes = 20
model = ResNet38EPS(num_outputs=classes + 1).eval()
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
rng = np.random.default_rng(0)
image = Image.fromarray(rng.integers(0, 256, (a.height, a.width, 3), dtype=np.uint8))
label = torch.ones(classes, 1, 1)


def infer(img):
    W, H = img.size
    total = torch.zeros(classes, H, W)
    with torch.no_grad():
        for s in a.scales:
            resized = img.resize((round(W * s), round(H * s)), resample=Image.BICUBIC)
            x = (np.asarray(resized, dtype=np.float64) / 255.0 - mean) / std
            x = torch.from_numpy(x.transpose(2, 0, 1).astype(np.float32)).unsqueeze(0)
            for flip in (False, True):
                inp = torch.flip(x, dims=[3]) if flip else x
                _, cam = model(inp)
                cam = F.softmax(cam, dim=1)
                cam = F.interpolate(cam, (H, W), mode="bilinear", align_corners=False)[0, :classes]
                cam = cam * label
                if flip:
                    cam = torch.flip(cam, dims=[2])
                total += cam
    norm = total / (total.flatten(1).max(dim=1).values.view(classes, 1, 1) + 1e-5)
    stacked = torch.cat([torch.full((1, H, W), 0.20), norm])
    return stacked.argmax(0).to(torch.uint8)


infer(image)  # warm-up
times = []
for _ in range(a.images):
    t = time.perf_counter(); infer(image); times.append(time.perf_counter() - t)
seconds = sum(times) / len(times)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch {torch.__version__}: resnet38 EPS infer.py procedure, {a.width}x{a.height}, scales {a.scales} x flip, "
      f"{a.threads} thread(s): {seconds:.3f} s/image, peak RSS {peak_mb:.0f} MB")
if a.eps_json:
    e = json.load(open(a.eps_json))
    mine = e["infer_seconds_per_image"]
    print(f"  eps-dist {mine:.3f} s/image, peak RSS {e['infer_peak_rss_mb']:.0f} MB; "
          f"eps-dist / pytorch speed = {seconds / mine:.3f}")
