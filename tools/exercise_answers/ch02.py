"""Answer checks for chapter 2 (Chinchilla scaling laws). Values come from :mod:`inferecon.training.scaling`."""

from __future__ import annotations

from inferecon.training import scaling as sc

from . import Answer

__all__ = ["ANSWERS"]

# Gopher (Rae et al. 2021): 280B parameters trained on 300B tokens.
GOPHER_PARAMS, GOPHER_TOKENS = 280e9, 300e9

ANSWERS: dict[str, Answer] = {
    "2.2": Answer(
        compute=lambda: float(sc.compute_optimal_tokens_per_param(sc.BESIROGLU_2024, 1e25)),
        rtol=0.02, unit="tokens per parameter",
        hint="D*/N* = G^-2 (C/6)^((alpha-beta)/(alpha+beta)) with the Besiroglu constants; C = 1e25.",
    ),
    "2.3": Answer(
        compute=lambda: float(sc.compute_optimal_params(sc.HOFFMANN_2022_TEX, 1e25)),
        rtol=0.02, unit="parameters",
        hint="N* = G (C/6)^(beta/(alpha+beta)) with G = (alpha A / (beta B))^(1/(alpha+beta)), the TeX "
             "constants (sc.HOFFMANN_2022_TEX) and C = 1e25.",
    ),
    "2.4": Answer(
        compute=lambda: float(sc.loss(sc.BESIROGLU_2024, GOPHER_PARAMS, GOPHER_TOKENS)),
        rtol=1e-3, unit="nats per token",
        hint="Evaluate E + A/N^alpha + B/D^beta with the refit's constants at N = 280e9, D = 300e9.",
    ),
    "2.5": Answer(
        compute=lambda: float(sc.compute_efficiency(sc.BESIROGLU_2024, GOPHER_PARAMS, GOPHER_TOKENS)),
        rtol=0.01, unit="fraction (0-1)",
        hint="Find Gopher's loss under the refit, the compute-optimal (N, D) for that loss, and divide "
             "its 6ND by 6 x 280e9 x 300e9.",
    ),
}
