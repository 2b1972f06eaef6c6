"""Learned weights of the packaged ensemble's members (use, e5, minilm), per pair of text languages.

What a mix is: when two texts are compared, each member's cosine is weighed by the mix of their two
languages (``EnsembleEmbedder.mix``); the stored vectors do not change, so a new mix needs no new
embedding. Pairs not listed here get equal weights over the members that read both languages.

How these were chosen (``python -m evals mixes --data ../shared/evaldata``; dev sets only): for each
pair of languages, the product's similarity (texts centred on their language's mean) was scored by
Spearman on the STS-benchmark dev pairs: ``stsb-fr`` for FR–FR, ``stsb-en`` for EN–EN, and for FR–EN
the two crossed (first sentence in one language, second in the other: 3,000 pairs). Every weighting
on a 0.05 grid was tried on two thirds of the pairs; equal weights, the default rule and the best of
the grid then met on the held-out third, and the winner is kept (ties to the simpler):

| pair | chosen | held-out Spearman: equal / rule / grid's best | all pairs |
|---|---|---|---|
| FR–FR | grid's best 0.50 / 0.45 / 0.05 | 0.7985 / 0.8052 / 0.8061 | 0.8197 |
| EN–EN | equal 1/3 each | 0.8606 / 0.8606 / 0.8600 | 0.8741 |
| FR–EN | rule 0.50 / 0.50 / 0 | 0.7529 / 0.7848 / 0.7848 | 0.7986 |

all-MiniLM-L6-v2 reads English only: it keeps a third of the weight between English texts, where it
is the best single model, 5 % between French texts (never lowering them: 0.8061 held-out against
0.8052 without it) and nothing across languages, where it scores 0.48 alone.

The ranking (recommendations, experts) standardises each member's similarities before fusing them,
and there equal weights stayed best: see README "Quality" (per-pair weights searched on half of the
sib200 people lowered the other half).
"""

LEARNED_MIXES: dict[str, dict[tuple[str, str], tuple[float, ...]]] = {
    "use+e5+minilm": {
        ("fr", "fr"): (0.50, 0.45, 0.05),
        ("en", "en"): (1 / 3, 1 / 3, 1 / 3),
        ("en", "fr"): (0.50, 0.50, 0.0),
    },
}
