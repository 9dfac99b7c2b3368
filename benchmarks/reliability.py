"""Reliability harness: every model at random draws across its whole documented domain.

Usage: `python -m benchmarks.reliability [--draws 1000] [--only Krugman1980 ...] [--seed N]
[--out benchmarks/RELIABILITY.md]`

Each model's draws come from `benchmarks/domains/<module>.py` (`DRAWS = {name: draw}`, with
`draw(rng, n) -> (base_model, over)`). Every draw is solved in one `de.sweep` with the exact
derivatives of every float outcome with respect to the drawn parameters. Then:

- every converged point is re-checked independently: the model is rebuilt at the point's
  parameters and its residuals and validity conditions are evaluated at the returned unknowns
  in a separate, unbatched-compiled function (max |F| ≤ 1e-8, every condition true), and its
  outcomes and derivatives must be finite;
- every failure is classified: **bad input** (a parameter outside the documented domain),
  **no equilibrium** (the model's `explain_failure` says that none exists: "No equilibrium…"),
  **not representable** (`explain_failure`: "Not representable in float64…": an equilibrium
  exists but some of its values lie beyond float64's range, so no float64 program can return
  it), or **solver failure** (an equilibrium may exist but was not found), each with its words.

"Solved where an equilibrium exists" is converged / (draws − bad input − no equilibrium), so a
not-representable point counts against it; the next column leaves those out as well.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

import diffecon as de
from diffecon.core import replace

__all__ = ["check_model", "domains", "main"]

_REQUIREMENT = 100  # reason codes from this value on name a bad parameter (see SweepResult)
_NOT_REPRESENTABLE = "Not representable in float64"  # how explain_failure opens for such points


def domains() -> dict[str, Any]:
    """Every registered domain sampler: model name -> `draw(rng, n)`."""
    import benchmarks.domains as package

    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"benchmarks.domains.{info.name}")
        found.update(getattr(module, "DRAWS", {}))
    return dict(sorted(found.items()))


def _flat_x(eq: Any) -> jax.Array:
    return ravel_pytree(eq.x)[0]


@eqx.filter_jit
def _recheck(base: Any, params: dict, flat_x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(max |F|, all validity conditions hold) at one point, away from the sweep's program."""
    model = eqx.tree_at(lambda m: tuple(getattr(m, n) for n in params), base,
                        tuple(jnp.asarray(v, getattr(base, n).dtype) for n, v in params.items()))
    _, unravel = ravel_pytree(model.guess())
    x = unravel(flat_x)
    residual = ravel_pytree(model.residuals(x))[0]
    norm = jnp.max(jnp.abs(residual), initial=0.0)
    norm = jnp.where(jnp.all(jnp.isfinite(residual)), norm, jnp.inf)
    valid = jnp.all(jnp.stack([jnp.all(jnp.asarray(v, bool)) for v in model.validity(x).values()]
                              or [jnp.asarray(True)]))
    return norm, valid


def check_model(name: str, draw: Any, n: int, rng: np.random.Generator, *, derivatives: bool = True,
                recheck: int | None = None, explain: int | None = None) -> dict[str, Any]:
    """Solve `n` full-domain draws of one model and classify every point.

    **Arguments:** `name`; `draw` (the domain sampler); `n` draws; `rng`; `derivatives`: also
    take d(outcome)/d(drawn parameter) for every float outcome; `recheck`: re-check at most this
    many converged points independently (default: all); `explain`: ask `explain_failure` about at
    most this many failures (each is a solve and a diagnosis; default: all); the others are
    counted as "not explained" by their reason code.

    **Returns:** a dict of counts and examples (see the module docstring).
    """
    base, over = draw(rng, n)
    outcomes = [k for k, v in jax.eval_shape(base.outcomes, base.guess()).items()
                if jnp.issubdtype(v.dtype, jnp.inexact)]
    wrt = [k for k in over if np.ndim(getattr(base, k)) == 0] if derivatives else None
    start = time.perf_counter()
    out = de.sweep(base, over, of=outcomes, wrt=wrt)
    xs = de.sweep(base, over, of=_flat_x)["_flat_x"]
    seconds = time.perf_counter() - start
    converged = np.asarray(out["converged"])
    reason = np.asarray(out["reason"])
    row: dict[str, Any] = {"model": name, "draws": n, "converged": int(converged.sum()),
                           "seconds": seconds}

    # Converged points: finite outcomes and derivatives; an independent residual re-check.
    def count(test, k: str, mask: np.ndarray) -> int:
        bad = test(np.asarray(out[k])[mask])
        return int(bad.reshape(bad.shape[0], -1).any(axis=1).sum()) if bad.size else 0

    # NaN is never an answer; ±inf is one where the model documents it (an n/n* ratio at a
    # complete-specialisation corner, a price index beyond float64's range as σ → 1).
    nan_outcomes = sum(count(np.isnan, k, converged) for k in outcomes)
    inf_outcomes = sum(count(np.isinf, k, converged) for k in outcomes)
    deriv_keys = [k for k in out if k.startswith("d") and "/d" in k]
    undefined = reason == 4  # converged, but a derivative is not defined (singular Jacobian)
    nan_derivs = sum(int((~np.isfinite(np.asarray(out[k])[converged & ~undefined])).sum())
                     for k in deriv_keys)
    idx = np.flatnonzero(converged)
    if recheck is not None:
        idx = idx[:recheck]
    invalid = []
    for i in idx:
        params = {k: np.asarray(v)[i] for k, v in over.items()}
        norm, valid = _recheck(base, params, np.asarray(xs)[i])
        if not (float(norm) <= 1e-8 and bool(valid)):
            invalid.append((i, float(norm), bool(valid)))
    row.update(nan_outcomes=nan_outcomes, inf_outcomes=inf_outcomes, nan_derivatives=nan_derivs,
               derivative_undefined=int(undefined.sum()), rechecked=len(idx),
               converged_but_invalid=len(invalid), invalid_examples=invalid[:3])

    # Failures: bad input / no equilibrium / solver failure, with words.
    kinds: Counter = Counter()
    words: Counter = Counter()
    examples: dict[str, dict] = {}
    for count, i in enumerate(np.flatnonzero(~converged)):
        params = {k: float(np.asarray(v)[i]) if np.ndim(v) == 1 else np.asarray(v)[i]
                  for k, v in over.items()}
        if reason[i] >= _REQUIREMENT:
            kind, text = "bad_input", out.explain(int(reason[i]))
        elif explain is not None and count >= explain:
            kind, text = "not_explained", out.explain(int(reason[i]))
        else:
            model = replace(base, **params)
            eq = de.solve(model, throw=False)
            hint = model.explain_failure(eq) or ""
            if hint.startswith(("No equilibrium", "No interior equilibrium")):
                kind = "no_equilibrium"
            elif hint.startswith(_NOT_REPRESENTABLE):
                kind = "not_representable"
            else:
                kind = "solver_failure"
            text = hint or out.explain(int(reason[i]))
        kinds[kind] += 1
        words[(kind, text[:160])] += 1
        examples.setdefault(kind, params)
    row.update(bad_input=kinds["bad_input"], no_equilibrium=kinds["no_equilibrium"],
               not_representable=kinds["not_representable"], solver_failure=kinds["solver_failure"],
               not_explained=kinds["not_explained"], reasons=words.most_common(8), failure_examples=examples)
    # Failures not asked about (over the cap) are split like the explained ones.
    explained = kinds["no_equilibrium"] + kinds["not_representable"] + kinds["solver_failure"]
    share = kinds["no_equilibrium"] / explained if explained else 0.0
    exists = n - kinds["bad_input"] - kinds["no_equilibrium"] - share * kinds["not_explained"]
    row["solved_where_exists"] = row["converged"] / exists if exists else float("nan")
    representable = exists - kinds["not_representable"]
    row["solved_where_representable"] = row["converged"] / representable if representable else float("nan")
    return row


def _table(rows: list[dict]) -> str:
    head = ("| model | draws | converged | converged but invalid (re-checked) | NaN outcomes | "
            "±inf outcomes (documented) | NaN derivatives without a reason | derivative undefined "
            "(singular, with reason) | no equilibrium | not representable in float64 | solver failure | "
            "not explained (over the cap) | bad input | solved where an equilibrium exists | "
            "… and is representable | time (s) |\n|" + "---|" * 16)
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['draws']} | {r['converged']} | {r['converged_but_invalid']} "
            f"({r['rechecked']}) | {r['nan_outcomes']} | {r['inf_outcomes']} | {r['nan_derivatives']} | "
            f"{r['derivative_undefined']} | {r['no_equilibrium']} | {r['not_representable']} | "
            f"{r['solver_failure']} | {r['not_explained']} | {r['bad_input']} | "
            f"{100 * r['solved_where_exists']:.2f}% | {100 * r['solved_where_representable']:.2f}% | "
            f"{r['seconds']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--no-derivatives", action="store_true")
    parser.add_argument("--explain", type=int, default=None,
                        help="diagnose at most this many failures per model (default: all)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RELIABILITY.md")))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    rows = []
    for name, draw in domains().items():
        if args.only and name not in args.only:
            continue
        row = check_model(name, draw, args.draws, rng, derivatives=not args.no_derivatives,
                          explain=args.explain)
        rows.append(row)
        print(_table([row]).splitlines()[-1], flush=True)
    text = [f"# Reliability: {args.draws} full-domain draws per model (seed {args.seed})", "",
            __doc__.split("\n\n", 1)[1].strip(), "", _table(rows), "", "## Failures by reason", ""]
    for r in rows:
        text.append(f"**{r['model']}**")
        if r["reasons"]:
            text.extend(f"- {kind}: {count} × {words}" for (kind, words), count in r["reasons"])
        else:
            text.append("- none")
        if r["invalid_examples"]:
            text.append(f"- converged but invalid (index, |F|, valid): {r['invalid_examples']}")
        text.append("")
    Path(args.out).write_text("\n".join(text) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
