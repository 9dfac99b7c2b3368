"""Tiny models with closed-form solutions, for testing the core machinery."""

import jax.numpy as jnp
import lineax as lx

from diffecon.core import AbstractModel, param, positive


class Cubic(AbstractModel):
    """x³ + a·x − b = 0 (unique real root for a > 0); dx/db = 1/(3x² + a), dx/da = −x/(3x² + a)."""

    a: jnp.ndarray = param(1.0)
    b: jnp.ndarray = param(2.0)

    def requirements(self):
        return (positive("a", self.a),)

    def guess(self):
        return {"x": jnp.zeros_like(self.a * self.b)}

    def residuals(self, x):
        return {"cubic": x["x"] ** 3 + self.a * x["x"] - self.b}

    def outcomes(self, x):
        return {"x": x["x"], "x_squared": x["x"] ** 2, "sign": jnp.sign(x["x"]).astype(int)}


class Arctan(AbstractModel):
    """arctan(x − c) = 0: plain Newton from x0 = 0 diverges when |c| > 1.39."""

    c: jnp.ndarray = param(5.0)

    def requirements(self):
        return ()

    def guess(self):
        return {"x": jnp.zeros_like(self.c)}

    def residuals(self, x):
        return {"arctan": jnp.arctan(x["x"] - self.c)}

    def outcomes(self, x):
        return {"x": x["x"]}


class Quadratic(AbstractModel):
    """x² + c = 0: two roots ±√(−c) for c < 0, none for c > 0 (the solve must fail, not lie)."""

    c: jnp.ndarray = param(-4.0)

    def requirements(self):
        return ()

    def guess(self):
        return {"x": jnp.ones_like(self.c)}

    def residuals(self, x):
        return {"square": x["x"] ** 2 + self.c}

    def outcomes(self, x):
        return {"x": x["x"]}


class VectorLinear(AbstractModel):
    """A·x = b with a vector parameter b: x = A⁻¹ b, so dx/db = A⁻¹ exactly."""

    b: jnp.ndarray = param((1.0, 2.0, 3.0), ndim=1)

    def requirements(self):
        return ()

    def matrix(self):
        return jnp.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])

    def guess(self):
        return {"x": jnp.zeros_like(self.b)}

    def residuals(self, x):
        return {"linear": self.matrix() @ x["x"] - self.b}

    def outcomes(self, x):
        return {"x": x["x"], "total": jnp.sum(x["x"])}


class ExplainedQuadratic(Quadratic):
    """`Quadratic` that says why its solve fails (the `explain_failure` hook)."""

    def explain_failure(self, eq):
        return f"x² + c = 0 has no real root when c = {float(self.c):g} > 0."


class MatrixFreeLinear(VectorLinear):
    """`VectorLinear` solved with GMRES on Jacobian-vector products (`linear_solver`)."""

    def linear_solver(self):
        return lx.GMRES(rtol=1e-12, atol=1e-12)


class PositiveRoot(AbstractModel):
    """x² = c solved from x0 = −1 converges to −√c, which `validity` rejects (x must be > 0)."""

    c: jnp.ndarray = param(4.0)

    def requirements(self):
        return (positive("c", self.c),)

    def guess(self):
        return {"x": -jnp.ones_like(self.c)}

    def residuals(self, x):
        return {"square": x["x"] ** 2 - self.c}

    def outcomes(self, x):
        return {"x": x["x"]}

    def validity(self, x):
        return {"positive_root": x["x"] > 0}


class ManyEquations(AbstractModel):
    """13 independent equations x_k = a·k with a NaN residual when `poison` > 0: big enough that
    a vmapped batch's residual max-norm covers thousands of elements."""

    a: jnp.ndarray = param(1.0)
    poison: jnp.ndarray = param(0.0)

    def requirements(self):
        return ()

    def guess(self):
        return {"x": jnp.zeros(13) + 0 * self.a}

    def residuals(self, x):
        target = self.a * jnp.arange(1.0, 14.0)
        bad = jnp.where(self.poison > 0, jnp.nan, 0.0)
        return {"linear": x["x"] - target + bad * (jnp.arange(13) == 5)}

    def outcomes(self, x):
        return {"x": x["x"], "total": jnp.sum(x["x"])}
