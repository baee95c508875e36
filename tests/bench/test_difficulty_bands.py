"""The default preset's difficulty on a fixed seed at an affordable size: the measures of
``fraudforge.bench.difficulty`` against the bands of real fraud benchmarks (docs/benchmarks.md).
The values are deterministic for the seed (one LightGBM thread, fixed seeds), so a change of the
generator that makes the data easier or harder than the band fails here, not months later in a
user's comparison."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from fraudforge.analytics.audit._search import precision_lower_bound
from fraudforge.bench.difficulty import TARGETS, Difficulty, auc_standard_error, measure
from fraudforge.engine.dataset import generate
from fraudforge.engine.scenario import Scenario
from fraudforge.features.pipeline import build_features

ROWS = 150_000
SEED = 11


@pytest.fixture(scope="module")
def difficulty(tmp_path_factory: pytest.TempPathFactory) -> Difficulty:
    root = tmp_path_factory.mktemp("bands")
    scenario = msgspec.convert({"target_rows": ROWS, "seed": SEED}, Scenario)
    generate(scenario, root / "data", threads=1)
    build_features(root / "data", root / "features", threads=1)
    return measure(root / "data", root / "features", seed=SEED)


def _inside(d: Difficulty, name: str) -> None:
    low, high = TARGETS[name]
    value = getattr(d, name)
    assert value is not None, f"{name} was not measured"
    assert low <= value <= high, f"{name} = {value}, band {low}-{high}"


def test_the_catalogue_model_lands_in_the_published_band(difficulty: Difficulty) -> None:
    """LightGBM on the 69 features: ROC AUC 0.85-0.97, average precision 0.25-0.75."""
    _inside(difficulty, "auc")
    _inside(difficulty, "average_precision")


def test_fraud_keeps_hours_close_to_genuine_traffic(difficulty: Difficulty) -> None:
    """Fraud's night share (00-06) at most 2.5 times the genuine one."""
    _inside(difficulty, "night_ratio")


def test_the_row_alone_does_not_give_fraud_away(difficulty: Difficulty) -> None:
    """A model on the transaction's own columns, without history, stays at or below AUC 0.85
    within the measure's sampling error, as friendly fraud's below: on this seed's 200-odd
    fraud test rows the AUC's standard error is about 0.017, and changes that only reshuffle
    the draws moved it between 0.846 and 0.851 (0.818-0.864 over seeds 1-4 at 300K rows,
    docs/benchmarks.md). A row model at 0.88 or more fails, as the generator's once did at
    0.95."""
    auc = difficulty.row_auc
    genuine = difficulty.test_rows - difficulty.test_fraud_rows
    high = TARGETS["row_auc"][1]
    error = auc_standard_error(auc, difficulty.test_fraud_rows, genuine)
    assert auc - 1.645 * error <= high, (auc, error)


def test_friendly_fraud_looks_like_genuine_purchases(difficulty: Difficulty) -> None:
    """Friendly fraud against genuine rows at or below AUC 0.70 for the catalogue model, within
    the measure's sampling error: this seed has 16 friendly-fraud test rows, whose AUC moves by
    about 0.07 with the draw (0.653 before and 0.714 after changes to other patterns); at 300K
    rows, seeds 1 and 2, it is 0.55-0.66 (docs/benchmarks.md). Friendly fraud as easy as the
    others (AUC 0.9 and more) fails."""
    auc = difficulty.friendly_auc
    assert auc is not None
    rows = next(p.test_rows for p in difficulty.patterns if p.pattern == "friendly_fraud")
    genuine = difficulty.test_rows - difficulty.test_fraud_rows
    high = TARGETS["friendly_auc"][1]
    assert auc - 1.645 * auc_standard_error(auc, rows, genuine) <= high, (auc, rows)


def test_the_auc_standard_error_matches_hanley_and_mcneil() -> None:
    """Hanley and McNeil's formula by hand: AUC 0.8 on 50 positives and 50 negatives gives
    q1 = 0.8 / 1.2, q2 = 1.28 / 1.8, variance (0.16 + 49 (q1 - 0.64) + 49 (q2 - 0.64)) / 2500
    = 0.0019806, standard error 0.04450."""
    assert auc_standard_error(0.8, 50, 50) == pytest.approx(0.044502, abs=1e-5)
    assert auc_standard_error(1.0, 10, 10) == 0.0


def test_no_tell_holds_on_held_out_incidents(difficulty: Difficulty) -> None:
    """No rule the audit finds on one half of the incidents and customers is surely (Wilson's
    lower 95 % bound, as the audit ranks its rules) at precision 0.8 or more on the other. At
    this size 0.3 % of the fraud rows is four or five rows, fewer than one incident holds, so the
    audit's highest precision over all rules is an incident's fingerprint (1.0), and the held-out
    reading's point value is one of a few incidents: on this seed single changes of the
    generator moved it between 0.73 and 1.0 (now the transfers of six customer-care scams and
    takeovers 10-14 minutes apart under a remote-access tool, every row fraud; lower bound
    0.61-0.65).
    A tell that generalises over dozens of rows holds its bound above 0.8 and fails."""
    held = difficulty.audit_held_out
    assert held is not None
    bound = precision_lower_bound(held.fraud_rows, held.support)
    assert bound < 0.8, (held.text, held.precision, held.support)


def test_the_precision_lower_bound_matches_wilson() -> None:
    """Wilson's interval by hand: 7 of 7 gives (1 + 1.96^2 / 14 - 1.96^2 / 14) / (1 + 1.96^2 / 7)
    = 7 / 10.8416 = 0.6457; 40 of 50, 0.6696; nothing covered, 0."""
    assert precision_lower_bound(7, 7) == pytest.approx(0.64566, abs=1e-4)
    assert precision_lower_bound(40, 50) == pytest.approx(0.66960, abs=1e-4)
    assert precision_lower_bound(0, 0) == 0.0


def test_every_pattern_has_rows_in_the_test_period(difficulty: Difficulty) -> None:
    """The measures cover most patterns: incidents run through the whole period."""
    seen = {p.pattern for p in difficulty.patterns if p.test_rows > 0}
    assert len(seen) >= 10, sorted(seen)


def test_the_result_round_trips(difficulty: Difficulty, tmp_path: Path) -> None:
    """What the benchmark writes decodes to the same measures."""
    path = tmp_path / "d.json"
    path.write_bytes(msgspec.json.encode([difficulty]))
    assert msgspec.json.decode(path.read_bytes(), type=list[Difficulty]) == [difficulty]
