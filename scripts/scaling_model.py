#!/usr/bin/env python3
"""Scaling model of eps-dist's data-parallel training step (docs/SCALING.md). Standard library only.

  python3 scripts/scaling_model.py calibrate BENCH.json ...
      For each multi-rank `eps-dist bench --json` run: the alpha-beta fit of its allreduce sweep,
      then predicted against measured exposed gradient averaging (bucketed and flat) and step time.
  python3 scripts/scaling_model.py predict --profile BENCH.json [--global-batch 8] [--iterations 20000]
      [--node-speedup 1] [--dtype f32|bf16]
      Step time, speed-up, efficiency, wall time and node-hours of a run for N = 1 ... 256 nodes (one
      rank per node) on 10/25/100 GbE and InfiniBand HDR, from a one-rank profile.

The model:
  * A step is forward + backward + exposed averaging + optimizer. Compute per rank is proportional to
    its local batch (global batch / N) and divided by --node-speedup (how much faster a node runs the
    step than the machine that made the profile).
  * Allreduce of n bytes over N ranks, the best of three algorithms (as MPI picks by size):
    ring 2(N-1)a + 2(N-1)/N n/b; recursive doubling log2(N)(a + n/b);
    Rabenseifner 2 log2(N) a + 2(N-1)/N n/b (N a power of two).
  * Buckets (the bench's bucket_timeline: bytes, and when each became ready before the end of
    backward) go one after another on the wire: bucket k starts at max(ready_k, end of bucket k-1).
    Exposed = how far the last one ends after backward. With --mpi-progress calls the bytes move only
    inside MPI calls; the model then counts every bucket after backward (no overlap), an upper bound.
  * Flat averaging: one allreduce of every bucket's bytes after backward.
"""
import argparse
import json
import math
import sys

# Assumed per-message latency a (s) and per-rank allreduce bandwidth b (bytes/s) of real networks
# (TCP goodput for Ethernet, verbs for InfiniBand); docs/SCALING.md says where they come from.
NETWORKS = [
    ("10 GbE", 30e-6, 1.1e9),
    ("25 GbE", 20e-6, 2.8e9),
    ("100 GbE", 10e-6, 9.0e9),
    ("IB HDR", 2e-6, 22.0e9),
]


def allreduce_seconds(n_bytes, ranks, alpha, beta):
    if ranks <= 1 or n_bytes <= 0:
        return 0.0
    steps = math.log2(ranks)
    ring = 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * n_bytes / beta
    doubling = math.ceil(steps) * (alpha + n_bytes / beta)
    best = min(ring, doubling)
    if steps == int(steps):
        best = min(best, 2 * steps * alpha + 2 * (ranks - 1) / ranks * n_bytes / beta)
    return best


def fit_alpha_beta(sweep, ranks):
    """Least squares of T = c0 + c1 n weighted by 1/T^2 (relative error), read as a ring allreduce:
    c0 = 2(N-1) a, c1 = 2(N-1)/(N b)."""
    points = [(p["bytes"], p["seconds"]) for p in sweep if p["seconds"] > 0]
    if len(points) < 2:
        raise ValueError("the bench JSON has no allreduce sweep (run it under mpirun with 2+ ranks)")
    sw = sx = sy = sxx = sxy = 0.0
    for n, t in points:
        w = 1 / (t * t)
        sw += w
        sx += w * n
        sy += w * t
        sxx += w * n * n
        sxy += w * n * t
    c1 = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
    c0 = (sy - c1 * sx) / sw
    c0 = max(c0, 0.0)
    alpha = c0 / (2 * (ranks - 1))
    beta = 2 * (ranks - 1) / ranks / c1
    return alpha, beta


# The pass over the gradient arena that `finish` makes after the last bucket (the 1/ranks scale, or
# bf16's decode with it): arena bytes (f32) over this memory bandwidth of one core.
SCALE_PASS_BYTES_PER_S = 10e9


def exposed_seconds(
        timeline, ranks, alpha, beta, overlap=True, scale=1.0, bytes_factor=1.0, reduce_seconds=0.0, arena_bytes=None):
    """Exposed averaging after backward. `timeline`: [{bytes, ready_before_backward_end_s}] in start
    order; `scale` stretches the ready times (a longer or shorter backward); `bytes_factor` turns the
    timeline's bytes into the bytes on the wire; `reduce_seconds`: CPU time of one reduction pass over
    the whole arena that the wire time does not include (bf16's user-defined sum), spread over the
    buckets as ring reduce-scatter does it, (N-1)/N of it per rank; `arena_bytes`: the f32 gradient
    arena that finish's pass reads and writes (default: the wire bytes)."""
    if ranks <= 1:
        return 0.0
    wire_bytes = sum(b["bytes"] for b in timeline) * bytes_factor
    end = -math.inf
    # Collectives start in the order their buckets became ready (not their index order).
    for bucket in sorted(timeline, key=lambda b: -b["ready_before_backward_end_s"]):
        ready = -bucket["ready_before_backward_end_s"] * scale if overlap else 0.0
        start = max(end, ready)
        share = bucket["bytes"] * bytes_factor / wire_bytes
        reduce = reduce_seconds * share * (ranks - 1) / ranks
        end = start + allreduce_seconds(bucket["bytes"] * bytes_factor, ranks, alpha, beta) + reduce
    return max(0.0, end) + (arena_bytes or wire_bytes) / SCALE_PASS_BYTES_PER_S


def load(path):
    with open(path) as f:
        return json.load(f)


def calibrate(paths):
    rows = []
    for path in paths:
        run = load(path)
        ranks = run["ranks"]
        if ranks < 2:
            print(f"{path}: one rank, nothing to calibrate", file=sys.stderr)
            continue
        alpha, beta = fit_alpha_beta(run["allreduce_sweep"], ranks)
        timeline = run["bucket_timeline"]
        overlap = run.get("mpi_progress", "calls") == "thread"
        bf16 = run.get("allreduce_dtype") == "bf16"
        # The sweep is f32 on the wire: its alpha-beta holds for bf16's bytes too.
        reduce = run.get("bf16_accumulate_seconds", 0.0) if bf16 else 0.0
        arena = run["parameters"] * 4
        exposed = exposed_seconds(timeline, ranks, alpha, beta, overlap, reduce_seconds=reduce, arena_bytes=arena)
        flat = exposed_seconds(
            [{"bytes": sum(b["bytes"] for b in timeline), "ready_before_backward_end_s": 0}], ranks, alpha, beta,
            False, reduce_seconds=reduce, arena_bytes=arena)
        compute = run["forward_seconds"] + run["backward_seconds"] + run["optimizer_seconds"]
        rows.append({
            "run": path.rsplit("/", 1)[-1].removesuffix(".json"),
            "ranks": ranks, "progress": run.get("mpi_progress", "calls"), "dtype": run.get("allreduce_dtype", "f32"),
            "alpha_us": alpha * 1e6, "beta_gbps": beta / 1e9, "backward_s": run["backward_seconds"],
            # The rank that ended backward last waits for the wire only; rank 0's figure also holds
            # its wait for slower ranks, which the model leaves out (older JSON: rank 0's only).
            "exposed_measured": run.get("bucketed_allreduce_last_rank_seconds", run["bucketed_allreduce_seconds"]),
            "exposed_predicted": exposed,
            "flat_measured": run.get("flat_allreduce_last_rank_seconds", run["flat_allreduce_seconds"]),
            "flat_predicted": flat,
            "step_measured": run["step_seconds"], "step_predicted": compute + exposed,
        })
    print("| run | ranks | progress | dtype | α (µs) | β (GB/s) | backward (s) | exposed bucketed: measured / "
          "predicted (s) | exposed flat: measured / predicted (s) | step: measured / predicted (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['ranks']} | {r['progress']} | {r['dtype']} | {r['alpha_us']:.0f} | "
              f"{r['beta_gbps']:.2f} | {r['backward_s']:.2f} | {r['exposed_measured']:.3f} / "
              f"{r['exposed_predicted']:.3f} | {r['flat_measured']:.3f} / {r['flat_predicted']:.3f} | "
              f"{r['step_measured']:.2f} / {r['step_predicted']:.2f} |")
    return rows


def predict(profile_path, global_batch, iterations, node_speedup, dtype, nodes_list):
    run = load(profile_path)
    local0 = run["batch_size"]
    compute0 = run["forward_seconds"] + run["backward_seconds"] + run["optimizer_seconds"]
    timeline = run["bucket_timeline"]
    bytes_factor = (0.5 if dtype == "bf16" else 1.0) * (4 / (2 if run.get("allreduce_dtype") == "bf16" else 4))
    total_mb = sum(b["bytes"] for b in timeline) * bytes_factor / 1e6
    print(f"profile: {profile_path}: crop {run['crop_size']}, batch {local0}, {run['threads']} thread(s): "
          f"compute {compute0:.2f} s/step, {total_mb:.0f} MB of gradients ({dtype}), {len(timeline)} buckets; "
          f"global batch {global_batch}, {iterations} iterations, node speed-up {node_speedup}")
    per_image = compute0 / local0 / node_speedup
    # bf16's reduction pass, from the profile's own timing of it (one core; a node may not be faster at it).
    reduce = run.get("bf16_accumulate_seconds", 0.0) if dtype == "bf16" else 0.0
    single = per_image * global_batch
    print()
    print("| network | nodes | local batch | step (s) | exposed (s) | speed-up | efficiency | wall time | "
          "node-hours |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, alpha, beta in NETWORKS:
        for nodes in nodes_list:
            if global_batch % nodes:
                continue
            local = global_batch // nodes
            compute = per_image * local
            scale = local / local0 / node_speedup
            exposed = exposed_seconds(
                timeline, nodes, alpha, beta, True, scale, bytes_factor, reduce, run["parameters"] * 4)
            step = compute + exposed
            wall = step * iterations
            speedup = single / step
            print(f"| {name} | {nodes} | {local} | {step:.3f} | {exposed:.3f} | {speedup:.2f} | "
                  f"{speedup / nodes:.2f} | {wall / 3600:.1f} h | {wall * nodes / 3600:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("calibrate")
    c.add_argument("runs", nargs="+")
    p = sub.add_parser("predict")
    p.add_argument("--profile", required=True)
    p.add_argument("--global-batch", type=int, default=8)
    p.add_argument("--iterations", type=int, default=20000)
    p.add_argument("--node-speedup", type=float, default=1.0)
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    p.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64, 128, 256])
    args = parser.parse_args()
    try:
        if args.command == "calibrate":
            calibrate(args.runs)
        else:
            predict(args.profile, args.global_batch, args.iterations, args.node_speedup, args.dtype, args.nodes)
    except (OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
