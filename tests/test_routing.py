"""Routing and cascades: closed forms against direct enumeration of every outcome."""

import itertools

import numpy as np
import pytest

from inferecon.levers import routing as rt


def _enumerate(kind, e, ke, kh, acc, cs, cl, overhead):
    """Walk every (class, answer used, correct?) path and add up probability x cost/quality."""
    cost = quality = total_p = 0.0
    for cls, p_cls in (("easy", e), ("hard", 1 - e)):
        keep = ke if cls == "easy" else kh
        for used, p_used in (("small", keep), ("large", 1 - keep)):
            a = acc[(used, cls)]
            for correct, p_c in ((1, a), (0, 1 - a)):
                p = p_cls * p_used * p_c
                total_p += p
                if kind == "router":
                    c = overhead + (cs if used == "small" else cl)
                else:  # cascade: small always runs, large only when escalated
                    c = overhead + cs + (cl if used == "large" else 0.0)
                cost += p * c
                quality += p * correct
    assert total_p == pytest.approx(1.0, abs=1e-12)
    return cost, quality


CASES = list(itertools.product([0.0, 0.3, 0.9], [1.0, 0.8], [0.0, 0.25], [0.0, 0.02]))


@pytest.mark.parametrize("e,ke,kh,overhead", CASES)
def test_router_and_cascade_against_enumeration(e, ke, kh, overhead):
    acc = {("small", "easy"): 0.9, ("small", "hard"): 0.4, ("large", "easy"): 0.95, ("large", "hard"): 0.8}
    cs, cl = 0.1, 1.0
    for kind in ("router", "cascade"):
        cost, quality = _enumerate(kind, e, ke, kh, acc, cs, cl, overhead)
        f = rt.router_cost if kind == "router" else rt.cascade_cost
        assert float(f(cs, cl, e, ke, kh, overhead)) == pytest.approx(cost, rel=1e-12)
        q = rt.mixture_quality(e, ke, kh, acc[("small", "easy")], acc[("small", "hard")],
                               acc[("large", "easy")], acc[("large", "hard")])
        assert float(q) == pytest.approx(quality, rel=1e-12)


def test_random_grid_against_enumeration():
    rng = np.random.default_rng(3)
    for _ in range(50):
        e, ke, kh, a1, a2, a3, a4, rho, ov = rng.random(9)
        acc = {("small", "easy"): a1, ("small", "hard"): a2, ("large", "easy"): a3, ("large", "hard"): a4}
        cost, quality = _enumerate("router", e, ke, kh, acc, rho, 1.0, ov * 0.1)
        assert float(rt.router_cost(rho, 1.0, e, ke, kh, ov * 0.1)) == pytest.approx(cost, rel=1e-12)
        assert float(rt.mixture_quality(e, ke, kh, a1, a2, a3, a4)) == pytest.approx(quality, rel=1e-12)


def test_perfect_router_savings_by_hand():
    # 60% easy queries, small model at 1/10 the price, perfect router: save 0.6 x 0.9 = 54%
    c = rt.router_cost(0.1, 1.0, 0.6, 1.0, 0.0)
    assert float(rt.savings(c, 1.0)) == pytest.approx(0.54, rel=1e-12)
    assert float(rt.router_savings_perfect(0.6, 0.1)) == pytest.approx(0.54, rel=1e-12)


def test_required_share_for_the_router_claim():
    # "router saves 50-70%" at c_S/c_L = 0.1 needs 0.5/0.9 = 55.6% to 0.7/0.9 = 77.8% routed
    s = rt.required_small_share([0.5, 0.7], 0.1)
    assert np.allclose(s, [0.5 / 0.9, 0.7 / 0.9], rtol=1e-12)
    # with a router costing 5% of a large call: (0.5 + 0.05)/0.9 = 61.1%
    assert float(rt.required_small_share(0.5, 0.1, 0.05)) == pytest.approx(0.55 / 0.9, rel=1e-12)


def test_cascade_escalation_budget():
    # cascade saves 1 - rho - escalation: 50% at rho = 0.1 allows 40% escalation
    assert float(rt.cascade_max_escalation(0.5, 0.1)) == pytest.approx(0.4, rel=1e-12)


def test_cascade_costs_more_than_router_with_same_decisions():
    # identical keep probabilities, free overheads: the cascade also pays c_S on escalated queries
    r = rt.router_cost(0.1, 1.0, 0.5, 0.9, 0.1)
    c = rt.cascade_cost(0.1, 1.0, 0.5, 0.9, 0.1)
    p_s = float(rt.small_share(0.5, 0.9, 0.1))
    assert float(c - r) == pytest.approx((1 - p_s) * 0.1, rel=1e-12)


def test_cheapest_strategy_hand_case():
    kw = dict(quality_floor=0.88, small_accuracy_easy=0.95, small_accuracy_hard=0.3,
              large_accuracy_easy=0.95, large_accuracy_hard=0.85, router_keep_easy=0.9,
              router_keep_hard=0.05, cascade_keep_easy=0.95, cascade_keep_hard=0.02)
    # e = 0.8: small only = .8*.95 + .2*.3 = 0.82 < 0.88 (fails); large only 0.93;
    # router: easy .95; hard .05*.3 + .95*.85 = .8225 -> .8*.95 + .2*.8225 = .9245 (passes)
    # router cost at rho=0.05: P_S = .8*.9 + .2*.05 = .73 -> .73*.05 + .27 = 0.3065
    # cascade: P_K = .8*.95 + .2*.02 = .764 -> .05 + .236 = 0.286 (cheaper, quality .9272)
    idx, cost = rt.cheapest_strategy(0.8, 0.05, **kw)
    assert rt.STRATEGIES[int(idx)] == "cascade" and float(cost) == pytest.approx(0.286, rel=1e-12)
    # at rho = 0.5 the cascade's double payment loses: router .73*.5 + .27 = .635 vs .5 + .236 = .736
    idx, cost = rt.cheapest_strategy(0.8, 0.5, **kw)
    assert rt.STRATEGIES[int(idx)] == "router" and float(cost) == pytest.approx(0.635, rel=1e-12)
    # a floor no strategy meets
    idx, cost = rt.cheapest_strategy(0.8, 0.05, **{**kw, "quality_floor": 0.99})
    assert int(idx) == -1 and np.isinf(cost)


def test_cheapest_strategy_broadcasts():
    kw = dict(quality_floor=0.8, small_accuracy_easy=0.9, small_accuracy_hard=0.3,
              large_accuracy_easy=0.95, large_accuracy_hard=0.85, router_keep_easy=0.9,
              router_keep_hard=0.1, cascade_keep_easy=0.95, cascade_keep_hard=0.05)
    idx, cost = rt.cheapest_strategy(np.linspace(0, 1, 11)[:, None], np.linspace(0.01, 1, 7)[None, :], **kw)
    assert idx.shape == (11, 7) and np.all(cost <= 1.0 + 1e-12)


@pytest.mark.parametrize("kwargs,match", [
    (dict(easy_fraction=1.2), r"easy_fraction must lie in \[0, 1\], got 1.2"),
    (dict(keep_easy=-0.1), r"keep_easy must lie in \[0, 1\]"),
])
def test_bad_inputs(kwargs, match):
    args = dict(cost_small=0.1, cost_large=1.0, easy_fraction=0.5, keep_easy=0.9, keep_hard=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        rt.router_cost(**args)


def test_bad_costs():
    with pytest.raises(ValueError, match="cost_large must be > 0"):
        rt.router_cost(0.1, 0.0, 0.5, 1, 0)
    with pytest.raises(ValueError, match="router_cost must be >= 0"):
        rt.router_cost(0.1, 1.0, 0.5, 1, 0, -0.01)
