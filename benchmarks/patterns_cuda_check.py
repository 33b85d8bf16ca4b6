"""Exercise the CUDA paths of mlint.patterns.resources on a GPU; skip cleanly without one.

    python benchmarks/patterns_cuda_check.py

Checks cuda_timer (synchronized events vs an unsynchronized wall clock),
cuda_memory_scope (peak recorded, cache released once) and inference (eval +
inference mode on a CUDA model, modes restored). Exit code 0 on success or skip,
1 on a failed check.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    try:
        import torch
    except ImportError:
        print("SKIP: torch is not installed")
        return 0
    if not torch.cuda.is_available():
        print(f"SKIP: no CUDA device (torch {torch.__version__}); nothing to check on this machine")
        return 0

    from mlint.patterns.protocols import MLP
    from mlint.patterns.resources import cuda_memory_scope, cuda_timer, inference

    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    device = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    a = torch.randn(8192, 8192, device=device)
    torch.cuda.synchronize()

    start = time.perf_counter()
    for _ in range(10):
        a @ a
    naive_ms = (time.perf_counter() - start) * 1000  # launches only: kernels still running
    torch.cuda.synchronize()
    with cuda_timer(device) as timing:
        for _ in range(10):
            a @ a
    print(
        f"10 x matmul 8192^2: cuda_timer {timing.elapsed_ms:.2f} ms, "
        f"unsynchronized wall clock {naive_ms:.2f} ms"
    )
    check(timing.device.startswith("cuda"), "cuda_timer used CUDA events")
    check(timing.elapsed_ms > 0, "cuda_timer measured a positive time")

    with cuda_memory_scope(device) as memory:
        block = torch.empty(256 * 1024 * 1024, dtype=torch.uint8, device=device)  # 256 MiB
        del block
    mib = 1024 * 1024
    print(
        f"memory scope: start {memory.start_allocated / mib:.0f} MiB, "
        f"peak {memory.peak_allocated / mib:.0f} MiB, end {memory.end_allocated / mib:.0f} MiB, "
        f"released {memory.released_cached / mib:.0f} MiB of cache"
    )
    check(memory.cuda, "cuda_memory_scope saw CUDA")
    check(memory.peak_allocated - memory.start_allocated >= 256 * mib, "peak includes 256 MiB")
    check(memory.released_cached >= 256 * mib, "cached 256 MiB block released at the end")

    model = MLP([512, 1024, 10]).to(device).train()
    with inference(model) as net:
        out = net(torch.randn(64, 512, device=device))
        check(not net.training and torch.is_inference_mode_enabled(), "inference: eval + mode on")
    check(out.is_cuda and out.is_inference(), "inference output is a CUDA inference tensor")
    check(model.training and torch.is_grad_enabled(), "inference: train mode and grad restored")

    print("all CUDA checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
