"""Forecasts for quarterly series (METHODS.md §4.3–4.5): additive exponential smoothing and
ARIMA. Used for the "anticipated value" displays only; target categories use the annual rules
of ``demonitor.core.progress``.

The additive ETS recursion is written out here, so that a forecast with frozen parameters is
exact and reproducible (it matches R ``forecast`` to 1e-6); estimation uses statsmodels, whose
optimiser may converge elsewhere than R's, so estimated parameters are always reported with the
forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # qnorm(0.975)


@dataclass(frozen=True)
class EtsParameters:
    """ETS(A,A,A), ETS(A,Ad,A) or ETS(A,N,A): ``beta`` None means no trend, ``phi`` None no damping.

    ``seasonal`` are the initial seasonal states for the m periods before the first
    observation, oldest first (for quarterly data starting in Q1: Q1, Q2, Q3, Q4 of the year
    before).
    """

    alpha: float
    gamma: float
    level: float
    seasonal: tuple[float, ...]
    beta: float | None = None
    phi: float | None = None
    trend: float = 0.0
    sigma2: float | None = None


@dataclass(frozen=True)
class Forecast:
    fitted: tuple[float, ...]
    mean: tuple[float, ...]
    lower95: tuple[float, ...] | None
    upper95: tuple[float, ...] | None
    method: str
    parameters: dict[str, float | None]


def r_seasonal_states(s0_0: float, s0_1: float, s0_2: float) -> tuple[float, ...]:
    """R ``forecast`` reports s0_0 (the last period before the data), s0_1, s0_2; the fourth is
    minus their sum. Returned oldest first, as EtsParameters expects (quarterly data)."""
    return (-(s0_0 + s0_1 + s0_2), s0_2, s0_1, s0_0)


def ets_additive(values: Sequence[float], params: EtsParameters, horizon: int) -> Forecast:
    """Filter with fixed parameters and forecast ``horizon`` periods ahead."""
    m = len(params.seasonal)
    has_trend = params.beta is not None
    phi = params.phi if params.phi is not None else 1.0
    beta = params.beta or 0.0
    level, trend = params.level, params.trend if has_trend else 0.0
    seasons = list(params.seasonal)
    fitted = []
    for y in values:
        damped_trend = phi * trend if has_trend else 0.0
        prediction = level + damped_trend + seasons[-m]
        error = y - prediction
        fitted.append(prediction)
        level = level + damped_trend + params.alpha * error
        if has_trend:
            trend = damped_trend + beta * error
        seasons.append(seasons[-m] + params.gamma * error)
    mean = []
    for h in range(1, horizon + 1):
        damped_sum = sum(phi**j for j in range(1, h + 1)) if has_trend else 0.0
        season = seasons[len(seasons) - m + (h - 1) % m]
        mean.append(level + damped_sum * trend + season)
    lower = upper = None
    if params.sigma2 is not None:
        lower, upper = [], []
        for h in range(1, horizon + 1):
            variance = 1.0
            for j in range(1, h):
                damped_j = sum(phi**i for i in range(1, j + 1)) if has_trend else 0.0
                # Hyndman et al. (2008), class 1: c_j = α + β·φ_j + γ·[j mod m = 0].
                c = params.alpha + beta * damped_j
                if j % m == 0:
                    c += params.gamma
                variance += c * c
            half = Z_95 * (params.sigma2 * variance) ** 0.5
            lower.append(mean[h - 1] - half)
            upper.append(mean[h - 1] + half)
    return Forecast(
        fitted=tuple(fitted),
        mean=tuple(mean),
        lower95=tuple(lower) if lower is not None else None,
        upper95=tuple(upper) if upper is not None else None,
        method=f"ETS(A,{'N' if not has_trend else 'Ad' if params.phi else 'A'},A) fixed parameters",
        parameters={
            "alpha": params.alpha,
            "beta": params.beta,
            "gamma": params.gamma,
            "phi": params.phi,
            "l0": params.level,
            "b0": params.trend,
        },
    )


def ets_estimated(
    values: Sequence[float], period: int, horizon: int, damped: bool = False
) -> Forecast:
    """ETS(A,A,A) (or damped) estimated by statsmodels; parameters are reported with it."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    fit = ETSModel(
        [float(v) for v in values],
        error="add",
        trend="add",
        damped_trend=damped,
        seasonal="add",
        seasonal_periods=period,
    ).fit(disp=False)
    names = list(fit.model.param_names)
    return Forecast(
        fitted=tuple(float(v) for v in fit.fittedvalues),
        mean=tuple(float(v) for v in fit.forecast(horizon)),
        lower95=None,
        upper95=None,
        method=f"ETS(A,{'Ad' if damped else 'A'},A) estimated by statsmodels (ETSModel)",
        parameters=dict(zip(names, (float(v) for v in fit.params), strict=True)),
    )


@dataclass(frozen=True)
class ArimaResult:
    ar1: float
    ma1: float
    drift: float
    sigma: float
    loglik: float
    forecast: Forecast


def arima_111_with_drift(values: Sequence[float], horizon: int) -> ArimaResult:
    """ARIMA(1,1,1) with drift: Δy_t = μ + φ(Δy_{t−1} − μ) + ε_t + θε_{t−1} (statsmodels)."""
    from statsmodels.tsa.arima.model import ARIMA

    fit = ARIMA(list(values), order=(1, 1, 1), trend="t").fit()
    names = list(fit.model.param_names)
    params = dict(zip(names, (float(v) for v in fit.params), strict=True))
    prediction = fit.get_forecast(horizon)
    interval = prediction.conf_int(alpha=0.05)
    forecast = Forecast(
        fitted=tuple(float(v) for v in fit.fittedvalues),
        mean=tuple(float(v) for v in prediction.predicted_mean),
        lower95=tuple(float(row[0]) for row in interval),
        upper95=tuple(float(row[1]) for row in interval),
        method="ARIMA(1,1,1) with drift (statsmodels, exact MLE)",
        parameters={k: v for k, v in params.items()},
    )
    return ArimaResult(
        ar1=params["ar.L1"],
        ma1=params["ma.L1"],
        drift=params["x1"],
        sigma=params["sigma2"] ** 0.5,
        loglik=float(fit.llf),
        forecast=forecast,
    )
