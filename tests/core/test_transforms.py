import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from diffecon.core.transforms import box_complementarity, expit, fischer_burmeister, logit

reals = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(reals, reals)
def test_fischer_burmeister_is_zero_exactly_on_the_complementarity_set(a, b):
    value = float(fischer_burmeister(jnp.float64(a), jnp.float64(b)))
    holds = a >= 0 and b >= 0 and a * b == 0
    assert (abs(value) < 1e-12) == holds or (not holds and min(abs(a), abs(b)) < 1e-9)


# Values within ~1e-16 of the zero set round to it in float64; draw resolvable magnitudes.
resolvable = st.floats(-5, 5).filter(lambda v: v == 0 or abs(v) > 1e-6)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.sampled_from([0.0, 1.0]), st.floats(-0.5, 1.5).filter(lambda v: min(abs(v), abs(v - 1)) > 1e-6)),
    resolvable,
)
def test_box_complementarity_zero_set(s, f):
    value = float(box_complementarity(jnp.float64(s), jnp.float64(f)))
    interior = 0 < s < 1 and f == 0
    lower = s == 0 and f <= 0
    upper = s == 1 and f >= 0
    if interior or lower or upper:
        assert abs(value) < 1e-12
    else:
        assert abs(value) > 0


def test_gradients_are_finite_at_the_kink():
    g = jax.grad(fischer_burmeister, argnums=(0, 1))(0.0, 0.0)
    assert all(np.isfinite(float(v)) for v in g)
    g = jax.grad(box_complementarity, argnums=(0, 1))(0.0, 0.0)
    assert all(np.isfinite(float(v)) for v in g)


def test_logit_expit_are_inverse():
    p = jnp.linspace(1e-6, 1 - 1e-6, 101)
    np.testing.assert_allclose(expit(logit(p)), p, rtol=1e-12)
