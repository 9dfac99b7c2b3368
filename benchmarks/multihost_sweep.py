"""One sweep spread over several processes (hosts) with JAX's distributed runtime.

Start the same command once per process; every process builds the same `over` (same seed), each
solves the slice of the batch that lives on its own devices, and every process receives all
results. On a cluster, run one process per host (or per GPU); locally, several CPU processes:

    python -m benchmarks.multihost_sweep --coordinator localhost:12355 --processes 2 --id 0 --cpu-devices 2 &
    python -m benchmarks.multihost_sweep --coordinator localhost:12355 --processes 2 --id 1 --cpu-devices 2

Under SLURM or Open MPI, `jax.distributed.initialize()` with no arguments reads the process
count and ids from the environment; pass `--auto`.
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--processes", type=int, help="number of processes")
    parser.add_argument("--id", type=int, help="this process's id, 0 … processes−1")
    parser.add_argument("--auto", action="store_true", help="cluster environment (SLURM, MPI)")
    parser.add_argument("--n", type=float, default=1e5, help="batch size")
    parser.add_argument("--cpu-devices", type=int, default=0,
                        help="compute on N virtual CPU devices per process (a local try-out)")
    args = parser.parse_args(argv)

    import jax

    if args.cpu_devices:
        # CPU processes need a cross-process collectives library (GPUs use NCCL by themselves).
        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.config.update("jax_num_cpu_devices", args.cpu_devices)
    if args.auto:
        jax.distributed.initialize()
    else:
        jax.distributed.initialize(args.coordinator, num_processes=args.processes, process_id=args.id)

    import numpy as np

    import diffecon as de
    from diffecon.models import Krugman1980

    n = int(args.n)
    rng = np.random.default_rng(0)  # the same draws in every process
    over = {"L1": rng.uniform(0.2, 5.0, n), "tau": rng.uniform(1.0, 3.0, n)}
    me = jax.process_index()
    print(f"process {me}/{jax.process_count()}: {len(jax.local_devices())} local of "
          f"{len(jax.devices())} global devices", flush=True)
    for label in ("first call (compile)", "warm call"):
        start = time.perf_counter()
        out = de.sweep(Krugman1980(), over, of="omega", wrt="L1", devices="all")
        print(f"process {me}: {label}: {time.perf_counter() - start:.2f} s", flush=True)
    omega = np.asarray(out["omega"])
    # A check every process can make: 64 points spread over every device's slice, solved
    # again on this process's default device alone.
    pick = np.linspace(0, n - 1, 64).astype(int)
    local = de.sweep(Krugman1980(), {k: v[pick] for k, v in over.items()}, of="omega")
    same = np.allclose(omega[pick], np.asarray(local["omega"]), rtol=1e-12, atol=0)
    print(f"process {me}: {n} equilibria over {out.devices} devices; all converged: "
          f"{bool(np.all(out['converged']))}; 64 spread points equal the single-device solve: {same}",
          flush=True)
    jax.distributed.shutdown()
    return 0 if same and bool(np.all(out["converged"])) else 1


if __name__ == "__main__":
    raise SystemExit(main())
