#!/usr/bin/env python3
"""Summarises scripts/quality.sh's runs: one row per method and seed, the mean
over seeds, and the per-class IoU at the paper's threshold, as Markdown.

    python3 scripts/quality_table.py QUALITY_DIR
"""
import glob
import json
import os
import sys

d = sys.argv[1]
rows = []
per_class = {}
for run in sorted(glob.glob(os.path.join(d, "*-seed*"))):
    if not os.path.exists(os.path.join(run, "summary.done")):
        continue
    method, seed = os.path.basename(run).split("-seed")
    report = json.load(open(os.path.join(run, "masks", "report.json")))
    sweep = json.load(open(os.path.join(run, "sweep.json")))
    multi = json.load(open(os.path.join(run, "multiclass.json")))
    cc = report.get("context_confusion", {})
    rows.append({
        "method": method, "seed": int(seed), "miou": report["miou"] * 100,
        "best_thr": sweep["best_thr"], "best_miou": sweep["best_miou"] * 100,
        "multi": multi["miou"] * 100,
        "rails_train": cc.get("rails", {}).get("train"), "water_boat": cc.get("water", {}).get("boat"),
        "sky_plane": cc.get("sky", {}).get("aeroplane"),
    })
    names = report["classes"]
    per_class.setdefault(method, []).append(dict(zip(names, report["iou"])))


def fmt(v, spec="{:.2f}"):
    return "–" if v is None else spec.format(v)


print("| method | seed | mIoU @0.20 | best thr | mIoU @best | multi-class mIoU @0.20 | rails→train | water→boat | sky→plane |")
print("|---|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: (r["method"] != "eps", r["seed"])):
    print(f"| {r['method'].upper()} | {r['seed']} | {r['miou']:.2f} | {r['best_thr']:.2f} | {r['best_miou']:.2f} | "
          f"{r['multi']:.2f} | {fmt(r['rails_train'], '{:.3f}')} | {fmt(r['water_boat'], '{:.3f}')} | "
          f"{fmt(r['sky_plane'], '{:.3f}')} |")
for method in sorted({r["method"] for r in rows}, key=lambda m: m != "eps"):
    rs = [r for r in rows if r["method"] == method]

    def mean(key):
        vals = [r[key] for r in rs if r[key] is not None]
        return sum(vals) / len(vals) if vals else None
    print(f"| **{method.upper()} mean of {len(rs)}** | | **{mean('miou'):.2f}** | | **{mean('best_miou'):.2f}** | "
          f"**{mean('multi'):.2f}** | {fmt(mean('rails_train'), '{:.3f}')} | {fmt(mean('water_boat'), '{:.3f}')} | "
          f"{fmt(mean('sky_plane'), '{:.3f}')} |")
print()
for method, runs in sorted(per_class.items(), key=lambda kv: kv[0] != "eps"):
    classes = [c for c in runs[0] if runs[0][c] is not None]
    print(f"Per-class IoU at 0.20, {method.upper()}, mean of {len(runs)} seed(s):")
    print("| " + " | ".join(classes) + " |")
    print("|" + "---|" * len(classes))
    def class_mean(c):
        vals = [r[c] for r in runs if r.get(c) is not None]
        return 100 * sum(vals) / len(vals) if vals else float("nan")
    print("| " + " | ".join(f"{class_mean(c):.1f}" for c in classes) + " |")
    print()
