"""`diffecon.estimate.calibrate`: recovery of known parameters, exact moment Jacobians, delta-method
standard errors against closed forms, identification, the optax path, and input errors."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import diffecon as de
from diffecon.core.progress import ProgressBar
from diffecon.estimate._calibrate import _root_weight
from diffecon.estimate._domains import from_unconstrained, requirement_bounds, to_unconstrained
from diffecon.models import Krugman1980, Krugman1980HME, Takita2025

TARGETS = ("omega", "import_share1")


def _krugman_draw(rng):
    return dict(L1=rng.uniform(0.5, 3.0), sigma=rng.uniform(2.5, 8.0), tau=rng.uniform(1.2, 2.5))


def _observed(model, names):
    eq = de.solve(model)
    return {k: float(eq[k]) for k in names}


def _central_differences(moments, model, params, rel_step=1e-5):
    """∂moments/∂params by central differences (`moments(model)` -> 1-D array)."""
    columns = []
    for name in params:
        value = float(getattr(model, name))
        h = rel_step * value
        up, down = (de.core.replace(model, **{name: value + s}) for s in (h, -h))
        columns.append((np.asarray(moments(up)) - np.asarray(moments(down))) / (2 * h))
    return np.stack(columns, axis=1)


def _outcome_vector(names):
    return lambda model: np.array([float(de.solve(model)[k]) for k in names])


# ----------------------------------------------------------------------------- recovery


def test_recovers_krugman1980_sigma_tau(rng):
    for _ in range(3):
        truth = _krugman_draw(rng)
        targets = _observed(Krugman1980(**truth), TARGETS)
        start = Krugman1980(
            L1=truth["L1"], sigma=truth["sigma"] * rng.uniform(0.7, 1.3),
            tau=1 + (truth["tau"] - 1) * rng.uniform(0.6, 1.4),
        )
        fit = de.calibrate(start, targets, ["sigma", "tau"], progress=False)
        assert fit.converged
        for name in ("sigma", "tau"):
            assert abs(float(fit.params[name]) - truth[name]) <= 1e-8 * truth[name], (name, truth)
        assert float(fit.model.L1) == pytest.approx(truth["L1"], abs=0)  # held fixed
        assert fit.loss < 1e-20 and fit.history[-1] == pytest.approx(fit.loss, rel=1e-6, abs=1e-30)
        assert fit.history[0] > 1e3 * fit.loss  # the search did the work
        assert fit.identification.rank == 2


def test_recovers_krugman1980hme_sigma_tau():
    truth = dict(La1=0.8, Lb1=0.5, La2=0.4, Lb2=0.6, sigma=5.0, tau=1.5)
    targets = _observed(Krugman1980HME(**truth), ("omega", "share_a1"))
    start = Krugman1980HME(**{**truth, "sigma": 3.5, "tau": 1.3})
    fit = de.calibrate(start, targets, ["sigma", "tau"], progress=False)
    assert fit.converged
    assert abs(float(fit.params["sigma"]) - 5.0) <= 5e-8
    assert abs(float(fit.params["tau"]) - 1.5) <= 1.5e-8
    eq = de.solve(fit.model)
    assert int(eq["regime_a1"]) == 1 and int(eq["regime_a2"]) == 1  # interior, as the truth


# ----------------------------------------------------------------------------- derivatives


def test_moment_jacobian_matches_central_differences(rng):
    truth = _krugman_draw(rng)
    targets = _observed(Krugman1980(**truth), TARGETS)
    start = Krugman1980(**{**truth, "sigma": truth["sigma"] * 1.2})
    fit = de.calibrate(start, targets, ["sigma", "tau"], progress=False)
    assert fit.moment_names == ("import_share1", "omega") and fit.param_names == ("sigma", "tau")
    fd = _central_differences(_outcome_vector(fit.moment_names), fit.model, fit.param_names)
    np.testing.assert_allclose(fit.jacobian, fd, rtol=1e-6, atol=1e-10)


def test_standard_errors_match_closed_form_sandwich(rng):
    # n1 = L1/(fσ), n2 = L2/(fσ), output = f(σ−1)/β are closed forms (eqs 9, 13): three
    # moments, two free parameters, inconsistent targets (over-identified).
    f, beta, L2 = 2.0, 0.5, 1.0
    truth = Krugman1980(L1=2.0, L2=L2, sigma=4.0, fixed_cost=f, marginal_cost=beta)
    obs = _observed(truth, ("n1", "n2", "output"))
    targets = {"n1": obs["n1"] + 0.01, "n2": obs["n2"] - 0.02, "output": obs["output"] + 0.05}
    w = {"n1": 100.0, "n2": 50.0, "output": 4.0}
    a = rng.normal(size=(3, 3))
    omega = a @ a.T + 0.5 * np.eye(3)  # a moment covariance, in moment_names order
    start = Krugman1980(L1=1.5, L2=L2, sigma=3.0, fixed_cost=f, marginal_cost=beta)
    fit = de.calibrate(start, targets, ["sigma", "L1"], weights=w, moment_covariance=omega, progress=False)
    assert fit.converged and fit.moment_names == ("n1", "n2", "output")

    s, L1 = float(fit.params["sigma"]), float(fit.params["L1"])
    G = np.array([[-L1 / (f * s**2), 1 / (f * s)], [-L2 / (f * s**2), 0.0], [f / beta, 0.0]])
    W = np.diag([w[k] for k in fit.moment_names])
    np.testing.assert_allclose(fit.jacobian, G, rtol=1e-9)
    resid = np.array([fit.moments[k] - targets[k] for k in fit.moment_names])
    np.testing.assert_allclose(G.T @ W @ resid, 0.0, atol=1e-10)  # the weighted LS optimum

    H = np.linalg.inv(G.T @ W @ G)
    B = H @ G.T @ W
    sandwich = np.sqrt(np.diag(B @ omega @ B.T))
    np.testing.assert_allclose([fit.se["sigma"], fit.se["L1"]], sandwich, rtol=1e-8)
    again = fit.standard_errors()  # the fit's own Ω
    np.testing.assert_allclose([again["sigma"], again["L1"]], sandwich, rtol=1e-12)
    inverse = fit.standard_errors(moment_covariance=np.linalg.inv(W))  # Ω = W⁻¹: (GᵀWG)⁻¹
    np.testing.assert_allclose([inverse["sigma"], inverse["L1"]], np.sqrt(np.diag(H)), rtol=1e-8)
    variances = {"n1": 0.3, "n2": 0.2, "output": 2.0}
    diag = fit.standard_errors(moment_covariance=variances)
    by_se = fit.standard_errors({k: np.sqrt(v) for k, v in variances.items()})
    np.testing.assert_allclose([by_se["sigma"], by_se["L1"]], [diag["sigma"], diag["L1"]], rtol=1e-12)
    expected = np.sqrt(np.diag(B @ np.diag([variances[k] for k in fit.moment_names]) @ B.T))
    np.testing.assert_allclose([diag["sigma"], diag["L1"]], expected, rtol=1e-8)


# ----------------------------------------------------------------------------- identification


def test_under_identified_direction_is_reported():
    # Symmetric countries: the import share is δ/(1+δ) with δ = τ^{1−σ}, so only (1−σ)·ln τ is
    # identified; d ln δ = −ln τ·dσ + (1−σ)/τ·dτ vanishes along ((1−σ)/τ, ln τ). The moment is
    # given as a function of the model (the other form of `targets`).
    truth = Krugman1980(L1=1.0, L2=1.0, sigma=4.0, tau=1.5)
    delta = 1.5 ** (1 - 4.0)
    observed = [delta / (1 + delta)]

    def import_share(model):
        return de.solve(model)["import_share1"][None]

    start = Krugman1980(L1=1.0, L2=1.0, sigma=3.0, tau=1.3)
    fit = de.calibrate(start, (import_share, observed), ["sigma", "tau"], progress=False)
    assert float(import_share(truth)[0]) == pytest.approx(observed[0], rel=1e-12)
    report = fit.identification
    assert fit.loss < 1e-20 and fit.moment_names == ("moments",)  # a point on the ridge fits exactly
    assert report.rank == 1 and not report.identified and report.condition_number == np.inf
    s, t = float(fit.params["sigma"]), float(fit.params["tau"])
    null = np.array([(1 - s) / t, np.log(t)])
    null = null / np.linalg.norm(null)
    null = null * np.sign(null[np.argmax(np.abs(null))])
    np.testing.assert_allclose(report.weakest_direction, null, atol=1e-8)
    expected = f"{abs(null[0]):.2f}·sigma {'−' if null[1] < 0 else '+'} {abs(null[1]):.2f}·tau"
    assert report.weakest == expected and expected in str(fit)
    assert np.isinf(fit.se["sigma"]) and np.isinf(fit.se["tau"])
    fd = _central_differences(import_share, fit.model, ["sigma", "tau"])
    np.testing.assert_allclose(fit.jacobian, fd, rtol=1e-6, atol=1e-10)


# ----------------------------------------------------------------------------- optax


def test_optax_lbfgs_converges():
    truth = Krugman1980(L1=2.0, sigma=5.0, tau=1.6)
    targets = _observed(truth, TARGETS)
    fit = de.calibrate(
        Krugman1980(L1=2.0, sigma=3.0, tau=1.3), targets, ["sigma", "tau"], method=optax.lbfgs(), steps=200,
        progress=False,
    )
    assert fit.converged and fit.method == "optax" and fit.steps < 200
    np.testing.assert_allclose([fit.params["sigma"], fit.params["tau"]], [5.0, 1.6], rtol=1e-7)
    assert np.all(np.diff(fit.history) <= 1e-18)  # a line search never increases the loss
    # optax holds no Jacobian, so this one comes from a separate forward-mode pass
    fd = _central_differences(_outcome_vector(fit.moment_names), fit.model, fit.param_names)
    np.testing.assert_allclose(fit.jacobian, fd, rtol=1e-6, atol=1e-10)


# ----------------------------------------------------------------------------- the package, inputs


def test_calibrate_is_a_plain_function_reexported_from_diffecon():
    import inspect
    import pickle
    import pydoc

    from diffecon import estimate

    assert de.calibrate is estimate.calibrate and de.Calibration is estimate.Calibration
    assert type(de.calibrate).__name__ == "function" and not hasattr(de.calibrate, "__path__")
    params = inspect.signature(de.calibrate).parameters
    assert list(params)[:3] == ["model", "targets", "free"]
    assert {"moment_se", "weights", "solver", "method"} <= set(params)
    assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in ("moment_se", "weights", "solver"))
    assert pickle.loads(pickle.dumps(de.calibrate)) is de.calibrate
    assert "Fit the free parameters" in pydoc.render_doc(de.calibrate)
    with pytest.raises(ValueError, match="not an outcome"):
        de.calibrate(Krugman1980(), {"nope": 1.0}, ["sigma"])


# ----------------------------------------------------------------------------- honesty


def test_a_start_where_the_moments_do_not_move_is_not_converged():
    # Issue 11's repro: at Q = 5 the equilibrium is the corner L1 = 1 (complete agglomeration),
    # where L1 does not respond to Q, so the search cannot move; the target 0.4946 is not met.
    fit = de.calibrate(Takita2025(Q=5.0), {"L1": 0.4946}, ["Q"], steps=3, progress=False)
    assert float(fit.moments["L1"]) == 1.0 and fit.loss > 0.1
    assert not fit.converged
    assert "do not respond to the free parameters (Q)" in fit.message and fit.message in str(fit)
    assert np.isnan(fit.se["Q"]) and np.isnan(fit.covariance).all()
    assert "did not converge" in fit.se_basis
    assert np.isnan(fit.standard_errors({"L1": 0.01})["Q"])


def test_a_search_stopped_early_reports_no_standard_errors():
    truth = Krugman1980(L1=2.0, sigma=5.0, tau=1.6)
    fit = de.calibrate(Krugman1980(L1=2.0, sigma=3.0, tau=1.3), _observed(truth, TARGETS), ["sigma", "tau"],
                       moment_se={"omega": 0.01, "import_share1": 0.005}, steps=1, progress=False)
    assert not fit.converged and "stopped after 1 steps" in fit.message
    assert np.isnan(fit.se["sigma"]) and np.isnan(fit.se["tau"]) and "NOT converged" in str(fit)


def test_moment_standard_errors_are_explicit_and_unit_weighting_is_stated(rng):
    # Three closed-form moments (n1, n2, output; eqs 9, 13), two parameters, inconsistent
    # targets: with moment_se the weights default to 1/se² and Var(θ) = (GᵀΩ⁻¹G)⁻¹.
    f, beta, L2 = 2.0, 0.5, 1.0
    truth = Krugman1980(L1=2.0, L2=L2, sigma=4.0, fixed_cost=f, marginal_cost=beta)
    obs = _observed(truth, ("n1", "n2", "output"))
    targets = {"n1": obs["n1"] + 0.01, "n2": obs["n2"] - 0.02, "output": obs["output"] + 0.05}
    se = {k: float(v) for k, v in zip(targets, rng.uniform(0.01, 0.2, 3))}
    start = Krugman1980(L1=1.5, L2=L2, sigma=3.0, fixed_cost=f, marginal_cost=beta)
    fit = de.calibrate(start, targets, ["sigma", "L1"], moment_se=se, progress=False)
    assert fit.converged and not fit.unit_weighted and "moment_se" in fit.se_basis
    s, L1 = float(fit.params["sigma"]), float(fit.params["L1"])
    G = np.array([[-L1 / (f * s**2), 1 / (f * s)], [-L2 / (f * s**2), 0.0], [f / beta, 0.0]])
    omega = np.diag([se[k] ** 2 for k in fit.moment_names])
    np.testing.assert_allclose(fit.weight, np.linalg.inv(omega), rtol=1e-12)
    np.testing.assert_allclose(fit.moment_covariance, omega, rtol=1e-12)
    expected = np.sqrt(np.diag(np.linalg.inv(G.T @ np.linalg.inv(omega) @ G)))
    np.testing.assert_allclose([fit.se["sigma"], fit.se["L1"]], expected, rtol=1e-8)
    # the same targets without any uncertainty given: unit weights, and the result says so
    plain = de.calibrate(start, targets, ["sigma", "L1"], progress=False)
    assert plain.converged and plain.unit_weighted and "unit-weighted" in plain.se_basis
    assert "unit-weighted" in str(plain)
    np.testing.assert_allclose(plain.moment_covariance, np.eye(3))
    unit = np.sqrt(np.diag(np.linalg.inv(G.T @ G)))  # at its own optimum: close, not equal
    np.testing.assert_allclose([plain.se["sigma"], plain.se["L1"]], unit, rtol=1e-3)
    # weights alone are read as inverse variances, and the result says so
    weighted = de.calibrate(start, targets, ["sigma", "L1"], weights={k: 1 / v**2 for k, v in se.items()},
                            progress=False)
    assert not weighted.unit_weighted and "inverse variances" in weighted.se_basis
    np.testing.assert_allclose([weighted.se["sigma"], weighted.se["L1"]], expected, rtol=1e-6)


def test_unconstrained_coordinates_follow_the_documented_rule(rng):
    bounds = requirement_bounds(Krugman1980())
    assert bounds["sigma"] == (1.0, np.inf) and bounds["tau"] == (1.0, np.inf)
    assert bounds["L1"] == (0.0, np.inf)
    x = rng.uniform(0.1, 0.9, size=5)
    # positive, > 1, unbounded, in (0, 1), < 2
    theta = jnp.asarray([x[0], 1 + x[1], x[2] - 0.5, x[3], 2 - x[4]])
    lo = jnp.array([0.0, 1.0, -np.inf, 0.0, -np.inf])
    hi = jnp.array([np.inf, np.inf, np.inf, 1.0, 2.0])
    u = to_unconstrained(theta, lo, hi)
    expected = [np.log(x[0]), np.log(x[1]), x[2] - 0.5, np.log(x[3] / (1 - x[3])), np.log(x[4])]
    np.testing.assert_allclose(u, expected, rtol=1e-12)
    np.testing.assert_allclose(from_unconstrained(u, lo, hi), theta, rtol=1e-12)


def test_weight_matrix_factor(rng):
    a = rng.normal(size=(3, 3))
    W = a @ a.T
    r = rng.normal(size=3)
    R = _root_weight(W, 3)
    assert float(np.sum((R @ r) ** 2)) == pytest.approx(float(r @ W @ r), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(targets={"omega": 1.0}, free=["nope"]), "'nope' is not a float parameter of Krugman1980"),
        (dict(targets={"wage": 1.0}, free=["sigma"]),
         "'wage' is not an outcome of Krugman1980; its outcomes are"),
        (dict(targets={"omega": [1.0, 2.0]}, free=["sigma"]),
         r"targets\['omega'\] has shape \(2,\).*shape \(\)"),
        (dict(targets={"omega": np.nan}, free=["sigma"]), "targets must be finite"),
        (dict(targets={"omega": 1.0}, free=["sigma", "sigma"]), "twice"),
        (dict(targets={"omega": 1.0}, free=[]), "free is empty"),
        (dict(targets={}, free=["sigma"]), "targets is empty"),
        (dict(targets={"omega": 1.0}, free=["sigma"], weights={"omega": -1.0}), "non-negative"),
        (dict(targets={"omega": 1.0}, free=["sigma"], weights={"W1": 1.0}), "not targets"),
        (dict(targets={"omega": 1.0}, free=["sigma"], weights=np.eye(3)), r"\(1, 1\) matrix"),
        (dict(targets={"omega": 1.0}, free=["sigma"], method="newton"), "method='newton'"),
        (dict(targets={"omega": 1.0}, free=["sigma"], bounds={"tau": (1, 2)}), "not among the free"),
        (dict(targets=(lambda m: m.sigma, [1.0, 2.0]), free=["sigma"]), r"observed has shape \(2,\)"),
        (dict(targets={"omega": 1.0}, free=["sigma"], moment_se={"omega": -0.1}),
         "moment_se must be finite and positive"),
        (dict(targets={"omega": 1.0, "n1": 1.0}, free=["sigma"], moment_se={"omega": 0.1}),
         "lacks the target"),
        (dict(targets={"omega": 1.0}, free=["sigma"], moment_se=[0.1, 0.2]), r"vector of the 1 moments"),
        (dict(targets={"omega": 1.0}, free=["sigma"], moment_se={"omega": 0.1}, moment_covariance=[[0.01]]),
         "not both"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        de.calibrate(Krugman1980(), progress=False, **kwargs)


def test_integer_outcome_cannot_be_a_target():
    with pytest.raises(ValueError, match="'regime_a1' is not a float quantity"):
        de.calibrate(Krugman1980HME(), {"regime_a1": 1.0}, ["sigma"], progress=False)


def test_start_on_a_closed_bound_is_rejected():
    with pytest.raises(ValueError, match=r"tau=1.0 starts on or outside .*log\(tau − 1\)"):
        de.calibrate(Krugman1980(tau=1.0), {"omega": 1.0}, ["tau"], progress=False)


def test_progress_bar_writes_to_stderr_only_when_enabled(capsys):
    bar = ProgressBar(100, "calibrate X", enabled=True, delay=0.0)
    bar.update(50, 1.5e-3)
    bar.close(60, 1e-9, "converged")
    err = capsys.readouterr().err
    # Captured stderr is not a terminal: plain lines, no bar redrawn with carriage returns.
    assert "calibrate X: 50/100 steps" in err and "60/100 steps" in err and "converged" in err
    assert err.endswith("\n") and "\r" not in err
    quiet = ProgressBar(100, "calibrate X", enabled=False, delay=0.0)
    quiet.update(50, 1.0)
    quiet.close(60, 1.0, "converged")
    assert capsys.readouterr().err == ""
