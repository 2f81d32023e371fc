"""Learning the decision model (`advisor calibrate`): weights, thresholds, honest figures.

Labelled questions come in families that fail differently:
- `phrasings` and `phrasings_en`: every entry's phrasings, held out entry by entry:
  the phrasings are cut into `PHRASING_FOLDS` folds and each fold is asked of an index built
  without it, so an entry is never matched against the very text being asked;
- `tests`: the entries' test questions (never indexed);
- the labelled files given (../shared/eval/dev.yaml, real_dev.yaml ...), as typed and
  without diacritics, and our own out-of-scope probes (`eval/out_of_scope.yaml`).

Every candidate of every question is a training row (label: is it an expected entry). The
families are weighted so each counts as given in `FAMILY_SHARE`, whatever its size: real
questions matter most, and hundreds of curated phrasings must not drown them.

Figures are cross-validated: questions are split into `FOLDS` folds (a question and its
unmarked twin together); for each fold the model and its thresholds are learned on the
others and applied to it, and this is repeated `REPEATS` times with other folds, the
outcomes pooled. `calibrate --write` then learns on everything and saves the model
with those held-out figures in its notes.
"""

from __future__ import annotations

import dataclasses
import math
import random
import statistics
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advisor.answering import Advisor
from advisor.decision import FEATURES, Model, decide, features, reachable
from advisor.evaluation import Labelled, read_labelled
from advisor.folding import fold
from advisor.kb.index import Candidate
from advisor.kb.models import KnowledgeBase

PHRASING_FOLDS = 5
FOLDS = 5
REPEATS = 3
"""Cross-validation is repeated with other folds and the outcomes pooled: with about 150 real
questions, one cut into folds moved real questions' direct share by up to 0.09."""
INNER_FOLDS = 3
"""Thresholds are chosen on probabilities from fits without the question (`_held_out_best`)."""
L2 = 1.0
"""Ridge penalty of the logistic fit (features are all on a 0-1 scale)."""

WRONG_COST = 5.0
"""Choosing the answer threshold: a wrong direct answer (or an out-of-scope one) costs this
many right direct answers. A wrong answer misleads; a suggestion only costs a tap."""

THRESHOLD_WINDOW = 0.04
"""The answer threshold maximises the value above (right minus `WRONG_COST` times wrong)
averaged over thresholds this far either side. The value is a step function of a few hundred
weighted questions and flat near its peak, where answers are right about as often as the
break-even 5 in 6, so its bare maximum wandered between folds and between runs (each
refit moved figures by up to 0.04). Averaged, it takes the middle of the good region:
cross-validated direct +0.01 to +0.03 with wrong equal or lower in every family, the same
for windows of 0.03 to 0.06 (2026-12-01)."""

OUT_OF_SCOPE_DECLINED = 0.85
"""The suggest threshold is the lowest that declines this share of out-of-scope questions
(the issue's target). Weighing, below it, the in-scope questions a suggestion would reach
against the out-of-scope ones it would bother (at equal cost, and at half or twice that)
always wanted a lower threshold still, so this share is what binds: 0.9 cost real questions
0.10 of reach (cross-validated, 2026-12-01)."""

OFFER_SHARE = 0.5
"""Runners-up at least this share of the suggest threshold's probability are offered."""

FAMILY_SHARE = {
    "real_dev": 0.34,
    "dev": 0.2,
    "tests": 0.15,
    "phrasings": 0.12,
    "phrasings_en": 0.04,
    "out_of_scope": 0.15,
}
"""Weight of each family of questions (a labelled file is named by its stem) in training and
in the threshold choice; another file counts 0.1."""

THRESHOLD_EXCLUDED = frozenset({"phrasings_en"})

MEASURED_ONLY_PREFIXES = ("members_", "heldout_")
"""Files named `members_*.yaml` (our own realistic questions: letters, petitions, phone
messages, English) and `heldout_*.yaml` (real questions collected from public pages) are
measured, never learned from: they stay an unseen check of the style that matters, beside
../shared/eval/real_dev.yaml."""


def _measured_only(family: str) -> bool:
    return family.startswith(MEASURED_ONLY_PREFIXES)


ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = (ROOT / "eval", ROOT.parent / "shared" / "eval")
"""Where `advisor calibrate` looks for labelled YAML files when given none."""


UNTRAINED = Model((0.0,) * len(FEATURES), 0.0, 1.0, 1.0, 1.0)
"""A model that weighs nothing: for collecting evidence before any model exists."""


@dataclass(frozen=True)
class Sample:
    """One labelled question with its candidates' features, ready to learn from."""

    family: str
    group: str
    """Questions sharing a group (a question and its unmarked twin) stay in one fold; the
    group is named by its question, so a question's fold does not depend on other files."""
    expect: tuple[str, ...] | None
    rows: tuple[tuple[float, ...], ...]
    candidates: tuple[Candidate, ...]
    context: dict
    """The question-level inputs of `decide` (length, english, domain)."""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.entry_id for c in self.candidates)

    @property
    def labels(self) -> list[float]:
        expected = set(self.expect or ())
        return [float(i in expected) for i in self.ids]


def _sample(advisor: Advisor, family: str, group: str, item: Labelled) -> Sample:
    _, _, candidates, context = advisor.evidence(item.question)
    rows = features(candidates, advisor.related, **context)
    return Sample(
        family,
        group,
        item.expect,
        tuple(map(tuple, rows)),
        tuple(candidates),
        context,
    )


def _without(kb: KnowledgeBase, held: set[tuple[str, str, int]]) -> KnowledgeBase:
    """The knowledge base with the held-out phrasings removed (one phrasing always stays)."""
    entries = {}
    for entry in kb.entries.values():
        vi = tuple(p for n, p in enumerate(entry.phrasings) if (entry.id, "vi", n) not in held)
        en = tuple(p for n, p in enumerate(entry.phrasings_en) if (entry.id, "en", n) not in held)
        entries[entry.id] = dataclasses.replace(entry, phrasings=vi or entry.phrasings[:1], phrasings_en=en)
    return dataclasses.replace(kb, entries=entries)


def collect(kb: KnowledgeBase, labelled: dict[str, list[Labelled]]) -> list[Sample]:
    """Every family's questions as samples; `labelled` maps a family name to its questions.

    Samples hold evidence only, never a decision, so no model is needed (nor the shipped one,
    which may have been trained on other features)."""
    advisor = Advisor(kb, UNTRAINED)
    samples: list[Sample] = []
    for family, items in labelled.items():
        for item in items:
            if item.expect is not None and not set(item.expect) & kb.entries.keys():
                continue  # asks for an entry not written yet: neither in scope nor out
            group = f"{family}|{item.question}"
            samples.append(_sample(advisor, family, group, item))
            if fold(item.question) != item.question.lower():
                samples.append(_sample(advisor, family, group, Labelled(fold(item.question), item.expect)))
    for entry in kb.entries.values():
        for question in entry.test_questions:
            group = f"tests|{entry.id}|{question}"
            samples.append(_sample(advisor, "tests", group, Labelled(question, (entry.id,))))
    phrasings = [
        (entry.id, lang, n, text)
        for entry in kb.entries.values()
        for lang, texts in (("vi", entry.phrasings), ("en", entry.phrasings_en))
        for n, text in enumerate(texts)
    ]
    random.Random(7).shuffle(phrasings)
    for k in range(PHRASING_FOLDS):
        held = phrasings[k::PHRASING_FOLDS]
        partial = Advisor(_without(kb, {(i, lang, n) for i, lang, n, _ in held}), UNTRAINED)
        for entry_id, lang, n, text in held:
            group = f"{lang}|{entry_id}|{n}"
            family = "phrasings" if lang == "vi" else "phrasings_en"
            samples.append(_sample(partial, family, group, Labelled(text, (entry_id,))))
    return samples


def _weights(samples: Sequence[Sample]) -> list[float]:
    size: dict[str, int] = defaultdict(int)
    for s in samples:
        size[s.family] += 1
    return [
        0.0 if _measured_only(s.family) else FAMILY_SHARE.get(s.family, 0.1) / size[s.family] for s in samples
    ]


def fit(samples: Sequence[Sample]) -> tuple[np.ndarray, float]:
    """Weighted, ridge-penalised logistic regression by Newton's method."""
    xs, ys, ws = [], [], []
    for sample, weight in zip(samples, _weights(samples), strict=True):
        if weight == 0:
            continue  # measured only: not even a zero-weight row, which would rescale the others
        for row, label in zip(sample.rows, sample.labels, strict=True):
            xs.append((1.0, *row))
            ys.append(label)
            ws.append(weight)
    x, y, w = np.array(xs), np.array(ys), np.array(ws)
    w = w * len(w) / w.sum()
    beta = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * L2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (w * (p - y)) + penalty @ beta
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[1:], float(beta[0])


@dataclass(frozen=True)
class Outcome:
    """What a member got for one question under one model."""

    family: str
    expect: tuple[str, ...] | None
    kind: str
    best: str | None
    reachable: tuple[str, ...]
    probability: float
    """The best candidate's probability (0-1)."""


def apply(model: Model, samples: Iterable[Sample], related: dict[str, frozenset[str]]) -> list[Outcome]:
    outcomes = []
    for s in samples:
        kind, hits, offers = decide(model, s.candidates, related, **s.context)
        best = hits[0] if hits else None
        outcomes.append(
            Outcome(
                s.family,
                s.expect,
                kind,
                best.entry_id if best else None,
                reachable(kind, hits, offers),
                best.score / 100 if best else 0.0,
            )
        )
    return outcomes


def _best_probabilities(
    weights: np.ndarray, bias: float, samples: Sequence[Sample]
) -> list[tuple[float, bool]]:
    """(best candidate's probability, is it an expected entry) per sample."""
    result = []
    for s in samples:
        if not s.rows:
            result.append((0.0, False))
            continue
        z = np.array(s.rows) @ weights + bias
        best = int(np.argmax(z))
        result.append(
            (float(1 / (1 + math.exp(-max(-30, min(30, z[best]))))), s.ids[best] in (s.expect or ()))
        )
    return result


def _held_out_best(samples: Sequence[Sample]) -> list[tuple[float, bool]]:
    """`_best_probabilities` of every sample under weights fitted without it (`INNER_FOLDS`
    folds): what the thresholds are chosen on. In-sample probabilities flatter the few real
    questions the fit has seen, and the answer threshold then jumped (0.68 to 0.83) with a
    handful of them."""
    fold_of = {s.group: zlib.crc32(f"inner|{s.group}".encode()) % INNER_FOLDS for s in samples}
    best: list[tuple[float, bool]] = [(0.0, False)] * len(samples)
    for k in range(INNER_FOLDS):
        weights, bias = fit([s for s in samples if fold_of[s.group] != k])
        held = [n for n, s in enumerate(samples) if fold_of[s.group] == k]
        for n, result in zip(
            held, _best_probabilities(weights, bias, [samples[n] for n in held]), strict=True
        ):
            best[n] = result
    return best


def choose_thresholds(samples: Sequence[Sample], best: Sequence[tuple[float, bool]]) -> tuple[float, float]:
    """(answer, suggest) thresholds, given each sample's best probability and whether it is
    right (see `WRONG_COST`, `OUT_OF_SCOPE_DECLINED`).

    Curated English phrasings teach the weights but do not set the thresholds: they are
    written by us, not asked by members, and would decide the Vietnamese majority's threshold."""
    kept = [
        (s, b)
        for s, b in zip(samples, best, strict=True)
        if s.family not in THRESHOLD_EXCLUDED and not _measured_only(s.family)
    ]
    samples = [s for s, _ in kept]
    best = [b for _, b in kept]
    sample_weights = _weights(samples)
    out = sorted((p for (p, _), s in zip(best, samples, strict=True) if s.expect is None))
    suggest = out[min(len(out) - 1, int(OUT_OF_SCOPE_DECLINED * len(out)))] + 1e-6 if out else 0.5
    grid = [t / 100 for t in range(20, 99)]

    def value(threshold: float) -> float:
        total = 0.0
        for (p, right), s, w in zip(best, samples, sample_weights, strict=True):
            if p >= threshold:
                total += w if right and s.expect is not None else -WRONG_COST * w
        return total

    values = [value(t) for t in grid]
    steps = round(THRESHOLD_WINDOW * 100)
    smoothed = [statistics.fmean(values[max(0, n - steps) : n + steps + 1]) for n in range(len(grid))]
    answer = grid[max(range(len(grid)), key=lambda n: (smoothed[n], -n))]
    return max(answer, suggest), min(suggest, answer)


def learn(samples: Sequence[Sample], notes: dict | None = None) -> Model:
    weights, bias = fit(samples)
    answer, suggest = choose_thresholds(samples, _held_out_best(samples))
    return Model(
        tuple(float(w) for w in weights),
        bias,
        round(answer, 4),
        round(suggest, 4),
        round(OFFER_SHARE * suggest, 4),
        notes or {},
    )


def cross_validate(
    samples: Sequence[Sample], related: dict[str, frozenset[str]], repeats: int = REPEATS
) -> list[Outcome]:
    """Each sample's outcome under a model learned without its fold, once per repeat (each
    repeat cuts other folds): `repeats` outcomes per sample, in repeat order."""
    outcomes: list[Outcome] = []
    for repeat in range(repeats):
        fold_of = {s.group: zlib.crc32(f"{repeat}|{s.group}".encode()) % FOLDS for s in samples}
        by_sample: list[Outcome | None] = [None] * len(samples)
        for k in range(FOLDS):
            model = learn([s for s in samples if fold_of[s.group] != k])
            held = [(n, s) for n, s in enumerate(samples) if fold_of[s.group] == k]
            for (n, _), outcome in zip(held, apply(model, [s for _, s in held], related), strict=True):
                by_sample[n] = outcome
        outcomes.extend(o for o in by_sample if o is not None)
    return outcomes


@dataclass(frozen=True)
class Figures:
    """What members feel, for one family of questions (shares 0-1)."""

    in_scope: int
    top1: float
    """Ranked first: an expected entry is the most probable one (whatever was done with it)."""
    direct: float
    reach: float
    wrong: float
    out_of_scope: int
    declined: float


def figures(outcomes: Iterable[Outcome]) -> Figures:
    outcomes = list(outcomes)
    inside = [o for o in outcomes if o.expect is not None]
    outside = [o for o in outcomes if o.expect is None]

    def share(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    top1 = sum(o.best in o.expect for o in inside)
    direct = sum(o.kind == "answer" and o.best in o.expect for o in inside)
    reach = sum(bool(set(o.reachable) & set(o.expect)) for o in inside)
    wrong = sum(o.kind == "answer" and o.best not in o.expect for o in inside)
    declined = sum(o.kind == "decline" for o in outside)
    return Figures(
        len(inside),
        share(top1, len(inside)),
        share(direct, len(inside)),
        share(reach, len(inside)),
        share(wrong, len(inside)),
        len(outside),
        share(declined, len(outside)),
    )


def reliability(
    outcomes: Iterable[Outcome], bands: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
) -> list[tuple[str, int, float]]:
    """Share right among direct answers, per band of the best candidate's probability."""
    answered = [o for o in outcomes if o.kind == "answer"]
    rows = []
    low = 0.0
    for high in bands:
        inside = [o for o in answered if low <= o.probability < high]
        right = sum(o.expect is not None and o.best in o.expect for o in inside)
        label = f"{low:.2f}-{min(high, 1.0):.2f}"
        rows.append((label, len(inside), right / len(inside) if inside else float("nan")))
        low = high
    return rows


def labelled_sets(paths: Sequence[Path] = ()) -> dict[str, list[Labelled]]:
    """Labelled files by family (their stem); without paths, every YAML file of `DEFAULT_FILES`."""
    if not paths:
        paths = [p for folder in DEFAULT_FILES if folder.is_dir() for p in sorted(folder.glob("*.yaml"))]
    return {path.stem: read_labelled(path) for path in paths}


def report(outcomes: Sequence[Outcome], repeats: int = REPEATS) -> str:
    """The held-out figures per family and the reliability table, as printable lines; counts
    are of questions (outcomes / `repeats`), shares are pooled over the repeats."""
    lines = [
        f"held out: {FOLDS}-fold cross-validation repeated {repeats} times",
        "family                  in scope   top-1  direct  reach  wrong   out of scope  declined",
    ]
    for family in dict.fromkeys(o.family for o in outcomes):
        f = figures(o for o in outcomes if o.family == family)
        lines.append(
            f"{family:<23} {f.in_scope // repeats:9d}  {f.top1:6.3f}  {f.direct:6.3f} {f.reach:6.3f}"
            f" {f.wrong:6.3f}   {f.out_of_scope // repeats:12d}  {f.declined:8.3f}"
        )
    lines.append("")
    lines.append("reliability: share right among direct answers, by the best candidate's probability")
    for band, count, right in reliability(outcomes):
        lines.append(
            f"  {band}  {count:5d} answered  {right:6.3f} right" if count else f"  {band}      0 answered"
        )
    return "\n".join(lines)
