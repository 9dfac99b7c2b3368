"""Market integration in Niem and Kim (2020): autarky against one merged market (eq. 5).

Trade merges two identical markets S and T into one of size S + T with no trade costs; the
number of firms does not change (Lemmas 1–3). `niem_kim_trade` solves the three markets and
splits the regional welfare between the countries.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..core import solve
from ..models import NiemKim2020

__all__ = ["niem_kim_trade"]


def niem_kim_trade(S, T, a=0.1, b=4.0, z=2.0, home_share=0.5, *, n_firms=2, cs_scale=1.0):
    """Autarky (markets S and T) against trade (one market S + T, no trade costs), eq. (5).

    The N firms' location under trade is not determined by the model; Home firms earn the
    share ω = `home_share` of regional producer surplus, Home consumers the share S/(S+T) of
    regional consumer surplus.

    **Arguments:**
    - `S`, `T`: Home and Foreign market sizes (> 0);
    - `a`, `b`, `z`, `n_firms`: as for `NiemKim2020`;
    - `home_share`: ω ∈ [0, 1];
    - `cs_scale`: multiplies every consumer surplus. 1 is the paper's formula (density
      Ψ/(b − 1)); `b − 1` reproduces the paper's Table 3, which prints (b − 1) times it.

    **Returns:** dict with the `NiemKim2020` outcomes of each market under `"home"`,
    `"foreign"` (autarky) and `"region"` (trade), and the welfare accounts
    `welfare_home_autarky`, `welfare_foreign_autarky`, `welfare_home_trade`,
    `welfare_foreign_trade`, `welfare_region_trade`, `gain_home`, `gain_foreign`, `gain_region`
    (all scalars; differentiable in every argument except `n_firms`).
    """
    omega = jnp.asarray(home_share, jnp.float64)
    if not isinstance(omega, jax.core.Tracer) and not bool(jnp.all((omega >= 0) & (omega <= 1))):
        raise ValueError(
            f"niem_kim_trade: parameter home_share={omega.tolist()} is outside its admissible "
            "domain (home_share in [0, 1])."
        )
    markets = {
        name: solve(NiemKim2020(size, a, b, z, n_firms)).outcomes
        for name, size in (("home", S), ("foreign", T), ("region", jnp.asarray(S) + jnp.asarray(T)))
    }

    def welfare(out, consumer_weight=1.0, producer_weight=1.0):
        return (consumer_weight * cs_scale * out["consumer_surplus_total"]
                + producer_weight * out["producer_surplus_total"])

    region = markets["region"]
    home_consumers = jnp.asarray(S) / (jnp.asarray(S) + jnp.asarray(T))
    accounts = {
        "welfare_home_autarky": welfare(markets["home"]),
        "welfare_foreign_autarky": welfare(markets["foreign"]),
        "welfare_home_trade": welfare(region, home_consumers, omega),
        "welfare_foreign_trade": welfare(region, 1.0 - home_consumers, 1.0 - omega),
        "welfare_region_trade": welfare(region),
    }
    accounts["gain_home"] = accounts["welfare_home_trade"] - accounts["welfare_home_autarky"]
    accounts["gain_foreign"] = accounts["welfare_foreign_trade"] - accounts["welfare_foreign_autarky"]
    accounts["gain_region"] = accounts["gain_home"] + accounts["gain_foreign"]
    return {**markets, **accounts}
