"""``fraudforge audit``: exact findings on hand-built datasets (a planted tell is found with its
precision, recall and patterns; a clean dataset yields no precise rule; label columns are never
read), the command end to end on generated datasets (india and handbook presets), its JSON and
its errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.analytics.audit import ATOM_SOURCES, Audit, AuditError, Rule, audit
from fraudforge.analytics.audit._frame import unmix63
from fraudforge.analytics.audit._search import Candidate, lower_precision, ranked
from fraudforge.cli import main
from fraudforge.engine.dataset import generate
from fraudforge.engine.ids import KEY_CUSTOMER_DEVICE, KEY_FRAUDSTER_DEVICE, make_key, mix63
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import (
    CUSTOMERS,
    LABEL_COLUMNS,
    MERCHANTS,
    SCHEMA_VERSION,
    SESSION_COLUMNS,
    TRANSACTIONS,
    polars_schema,
)

START = dt.datetime(2025, 9, 1)
N_CUSTOMERS = 300
N_MERCHANTS = 40


def _rows(rng: np.random.Generator, n: int, first_id: int, **fixed: object) -> pl.DataFrame:
    """``n`` ordinary transactions drawn from one distribution, then the ``fixed`` columns."""
    customer = rng.integers(1, N_CUSTOMERS + 1, n)
    merchant = rng.integers(1, N_MERCHANTS + 1, n)
    cols: dict[str, object] = {
        "transaction_id": mix63(np.arange(first_id, first_id + n)),
        "timestamp": [START + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 30 * 86400, n)],
        "customer_id": customer,
        "merchant_id": merchant,
        "device_id": mix63(make_key(KEY_CUSTOMER_DEVICE, customer, 0, 4)),
        "card_id": None,
        "amount_inr": np.round(rng.uniform(10.0, 5_000.0, n), 2),
        "payment_mode": rng.choice(["upi", "wallet", "net_banking"], n),
        "card_network": "none",
        "channel": rng.choice(["ecommerce", "mobile_app"], n),
        "txn_type": "purchase",
        "status": "approved",
        "category": rng.choice(["grocery", "apparel", "electronics"], n),
        "mcc": 5411,
        "city": "Mumbai",
        "state": "Maharashtra",
        "lat": 19.07 + rng.normal(0, 0.01, n),
        "lon": 72.87 + rng.normal(0, 0.01, n),
        "counterparty": [f"shop{m}@upi" for m in merchant],
        **dict.fromkeys(SESSION_COLUMNS),
        "is_fraud": False,
        "fraud_type": "none",
        "fraud_scenario_id": None,
        "is_anomaly": False,
        "anomaly_type": "none",
        "anomaly_severity": 0.0,
        "label_known_at": None,
    }
    cols.update(fixed)
    frame = pl.DataFrame(
        {k: (v if not np.isscalar(v) and v is not None else [v] * n) for k, v in cols.items()}
    )
    frame = frame.with_columns(
        pl.col("label_known_at").fill_null(pl.col("timestamp") + pl.duration(days=45))
    )
    return frame.cast(polars_schema(TRANSACTIONS))


def _fraud(
    rng: np.random.Generator, n: int, first_id: int, pattern: str, **fixed: object
) -> pl.DataFrame:
    """Fraud rows, labelled in every label column as the generator does (the labels alone would
    give them away, which the audit must not read)."""
    return _rows(
        rng, n, first_id,
        is_fraud=True, fraud_type=pattern,
        is_anomaly=True, anomaly_type="amount", anomaly_severity=0.9,
        **{"fraud_scenario_id": np.arange(n, dtype=np.int64) + 1, **fixed},
    ).with_columns(label_known_at=pl.col("timestamp") + pl.duration(days=1))  # fmt: skip


def _write(root: Path, tx: pl.DataFrame) -> Path:
    """A dataset directory of the schema: transactions, customers, merchants and manifest."""
    rng = np.random.default_rng(0)
    tx = tx.cast(polars_schema(TRANSACTIONS)).sort("customer_id", "timestamp", "transaction_id")
    c = N_CUSTOMERS
    customers = pl.DataFrame(
        {
            "customer_id": np.arange(1, c + 1),
            "name": "A B",
            "segment": "family",
            "age": rng.integers(20, 70, c),
            "income_bracket": "6-12L",
            "occupation": "salaried",
            "digital_savviness": "medium",
            "home_city": "Mumbai",
            "home_state": "Maharashtra",
            "home_lat": 19.07,
            "home_lon": 72.87,
            "city_tier": 1,
            "vpa": "a@upi",
            "has_credit_card": False,
            "credit_limit_inr": 0.0,
            "debit_card_network": "rupay",
            "credit_card_network": "none",
            "n_devices": 1,
            "preferred_categories": [["grocery"]] * c,
            "preferred_payment_modes": [["upi"]] * c,
        }
    ).cast(polars_schema(CUSTOMERS))
    m = N_MERCHANTS
    merchants = pl.DataFrame(
        {
            "merchant_id": np.arange(1, m + 1),
            "name": "Shop",
            "category": "grocery",
            "mcc": 5411,
            "is_chain": False,
            "is_online": True,
            "city": "Mumbai",
            "state": "Maharashtra",
            "lat": 19.07,
            "lon": 72.87,
            "reputation": 0.8,
            "vpa": "s@upi",
        }
    ).cast(polars_schema(MERCHANTS))
    (root / "transactions").mkdir(parents=True)
    (root / "customers").mkdir()
    tx.write_parquet(root / "transactions" / "part-00000.parquet")
    customers.write_parquet(root / "customers" / "part-00000.parquet")
    merchants.write_parquet(root / "merchants.parquet")
    manifest = {
        "schema_version": SCHEMA_VERSION, "fraudforge_version": "test", "scenario": {},
        "resolved": {}, "format": "parquet", "rows": {"transactions": tx.height},
        "fraud_counts": {}, "anomaly_counts": {}, "content_hash": "", "seconds": 0.0,
        "files": [
            {"path": "transactions/part-00000.parquet"},
            {"path": "customers/part-00000.parquet"},
            {"path": "merchants.parquet"},
        ],
    }  # fmt: skip
    (root / "manifest.json").write_bytes(msgspec.json.encode(manifest))
    return root


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9,000 genuine rows (100 of them BNPL) and 1,000 fraud rows: 400 card testing, all BNPL;
    600 stolen card on devices from the fraudster key space."""
    rng = np.random.default_rng(1)
    genuine = _rows(rng, 8_900, 0)
    bnpl = _rows(rng, 100, 8_900, payment_mode="bnpl")
    testing = _fraud(rng, 400, 9_000, "card_testing", payment_mode="bnpl")
    stolen = _fraud(
        rng, 600, 9_400, "stolen_card",
        device_id=mix63(make_key(KEY_FRAUDSTER_DEVICE, np.arange(600), 1, 8)),
    )  # fmt: skip
    return _write(tmp_path_factory.mktemp("planted"), pl.concat([genuine, bnpl, testing, stolen]))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9,500 genuine and 500 fraud rows from the same distribution; only the labels differ."""
    rng = np.random.default_rng(2)
    genuine = _rows(rng, 9_500, 0)
    fraud = _fraud(rng, 500, 9_500, "stolen_card")
    return _write(tmp_path_factory.mktemp("clean"), pl.concat([genuine, fraud]))


@pytest.fixture(scope="module")
def planted_report(planted: Path) -> Audit:
    return audit(planted, top=500)


def _find(report: Audit, text: str) -> Rule:
    found = [r for r in report.rules if r.text == text]
    assert found, f"no rule `{text}` among {[r.text for r in report.rules[:10]]}"
    return found[0]


def test_a_planted_category_is_found_with_its_precision_and_recall(planted_report: Audit) -> None:
    """BNPL: 400 fraud rows of 500 (precision 0.8), 40 % of the fraud, all card testing."""
    rule = _find(planted_report, "payment_mode = bnpl")
    assert (rule.precision, rule.recall, rule.support, rule.fraud_rows) == (0.8, 0.4, 500, 400)
    assert rule.patterns == {"card_testing": 400}
    assert rule.group == "column"
    assert rule.columns == ["payment_mode"]


def test_ids_from_their_own_key_space_are_found(planted_report: Audit) -> None:
    """Devices minted in the fraudster key space: precision 1 on 60 % of fraud rows, and the
    most precise rule of the dataset."""
    rule = _find(planted_report, "device_id key space = 2")
    assert (rule.precision, rule.recall, rule.support) == (1.0, 0.6, 600)
    assert rule.patterns == {"stolen_card": 600}
    assert planted_report.rules[0].text == "device_id key space = 2"
    assert planted_report.max_precision == 1.0


def test_a_depth_two_tree_separates_the_planted_pattern(planted_report: Audit) -> None:
    tree = {t.pattern: t for t in planted_report.trees}["card_testing"]
    assert tree.rows == 400
    assert tree.tree[0] == "if payment_mode != bnpl:"  # the root asks the planted question
    assert tree.rule.startswith("payment_mode = bnpl")
    assert tree.recall >= 0.95
    assert tree.auc > 0.98


def test_a_clean_dataset_yields_no_precise_rule(clean: Path) -> None:
    """Fraud drawn like genuine traffic: no rule covering 4 % of fraud rows reaches precision 0.5
    (the base rate is 0.05), although every label column separates the classes perfectly."""
    report = audit(clean, min_recall=0.04)
    assert report.rules
    assert report.max_precision < 0.5
    assert all(t.auc < 0.7 for t in report.trees)


def test_label_columns_are_never_read(clean: Path) -> None:
    assert not ATOM_SOURCES & set(LABEL_COLUMNS)
    text = json.dumps(msgspec.to_builtins(audit(clean, min_recall=0.01, top=10_000)))
    for label in (*LABEL_COLUMNS, "anomaly"):
        assert label not in text.replace('"fraud_rows"', "")


def test_unmix_inverts_the_engine_mix() -> None:
    keys = np.random.default_rng(3).integers(0, 2**63 - 1, 10_000, dtype=np.int64).view(np.uint64)
    assert np.array_equal(unmix63(mix63(keys)), keys)


def test_worst_first_means_most_surely_precise() -> None:
    """98 % on 160 rows ranks above 100 % on 20, which ranks above 80 % on 1,000."""
    few = Candidate((), "column", 20, 0.0)
    many = Candidate((), "pair", 157, 3.0)
    broad = Candidate((), "amount", 800, 200.0)
    assert lower_precision(many) > lower_precision(few) > 0.8
    assert [c.fraud for c in ranked([few, broad, many])] == [157, 20, 800]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "data"
    generate(Scenario(customers=400, days=30, fraud_rate=0.05, seed=5), out)
    return out


def test_the_command_prints_json_of_the_documented_shape(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(generated), "--json", "--top", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    report = msgspec.convert(data, Audit)
    assert set(data) == set(Audit.__struct_fields__)
    assert (
        report.rows == pl.scan_parquet(generated / "transactions").select(pl.len()).collect().item()
    )
    assert 1 <= len(report.rules) <= 5
    assert [r.rank for r in report.rules] == list(range(1, len(report.rules) + 1))
    types = set(
        pl.scan_parquet(generated / "transactions")
        .select(pl.col("fraud_type").cast(pl.String).unique())
        .collect()
        .to_series()
    )
    for r in report.rules:
        assert 0.0 < r.precision <= 1.0
        assert r.recall >= report.min_recall
        assert sum(r.patterns.values()) == r.fraud_rows <= r.support
        assert set(r.patterns) <= types
    assert {t.pattern for t in report.trees} <= types
    assert all(0.5 <= t.auc <= 1.0 for t in report.trees)


def test_fail_on_precision_sets_the_exit_code(
    generated: Path, clean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(generated), "--no-trees", "--fail-on-precision", "0.01"]) == 1
    assert "audit failed" in capsys.readouterr().err
    args = ["audit", str(clean), "--no-trees", "--min-recall", "0.04", "--fail-on-precision", "0.8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "most precise rule" in out


def test_the_handbook_preset_is_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hb"
    scenario = Scenario(preset="handbook", customers=300, merchants=1_000, days=60, seed=2)
    generate(scenario, out)
    assert main(["audit", str(out), "--json", "--top", "3"]) == 0
    report = msgspec.json.decode(capsys.readouterr().out, type=Audit)
    assert report.fraud_rows > 0
    assert {t.pattern for t in report.trees} <= {
        "amount_manipulation",
        "card_cloning",
        "stolen_card",
    }


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            "missing",
            "does not exist: expected a dataset directory written by `fraudforge generate`",
        ),
        ("file", "is a file: expected a dataset directory"),
        ("empty", "has no manifest.json: expected a dataset directory"),
        ("garbage", "manifest.json is not a fraudforge manifest"),
        ("columns", "the transactions table lacks column(s) amount_inr"),
    ],
)
def test_bad_input_is_named(
    setup: str, expected: str, tmp_path: Path, planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "d"
    if setup == "file":
        target.write_text("x")
    elif setup == "empty":
        target.mkdir()
    elif setup == "garbage":
        target.mkdir()
        (target / "manifest.json").write_text("{}")
    elif setup == "columns":
        tx = pl.read_parquet(planted / "transactions").drop("amount_inr")
        _write(target, tx.with_columns(amount_inr=None))
        pl.read_parquet(target / "transactions").drop("amount_inr").write_parquet(
            target / "transactions" / "part-00000.parquet"
        )
    with pytest.raises(AuditError, match=None) as info:
        audit(target)
    assert expected in str(info.value)
    assert main(["audit", str(target)]) == 2
    assert expected in capsys.readouterr().err.replace("\n", " ")


def test_options_are_checked(planted: Path) -> None:
    with pytest.raises(ValueError, match="allowed is a share of fraud rows"):
        audit(planted, min_recall=0.0)
    with pytest.raises(ValueError, match="allowed is 1 or more rules"):
        audit(planted, top=0)


def test_sampled_genuine_rows_are_weighted_back(planted: Path) -> None:
    """Genuine rows beyond ``max_genuine`` are sampled by id hash and counted with a weight:
    fraud counts stay exact, precision and support stay close to the full count's."""
    report = audit(planted, max_genuine=4_000, trees=False, top=500)
    assert report.genuine_rows == 9_000
    assert abs(report.genuine_sampled - 4_000) < 200
    rule = _find(report, "payment_mode = bnpl")
    assert (rule.fraud_rows, rule.recall) == (400, 0.4)
    assert rule.precision == pytest.approx(0.8, abs=0.05)
    assert rule.support == pytest.approx(500, abs=40)


def test_rules_count_the_incidents_they_cover(planted_report: Audit) -> None:
    """Each rule reports the distinct incidents among its fraud rows (the planted BNPL rows are
    400 one-row incidents), and the most precise rule over several incidents spans at least
    ``SPREAD_INCIDENTS`` of them."""
    from fraudforge.analytics.audit import SPREAD_INCIDENTS

    assert _find(planted_report, "payment_mode = bnpl").incidents == 400
    for rule in planted_report.rules:
        assert 1 <= rule.incidents <= rule.fraud_rows
    spread = planted_report.most_precise_spread
    assert spread is not None
    assert spread.incidents >= SPREAD_INCIDENTS
    assert spread.precision <= planted_report.max_precision


@pytest.fixture(scope="module")
def fingerprinted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean data's distribution (9,500 genuine and 500 one-row fraud incidents) plus one
    incident of 15 rows in a city no other row has: a fingerprint of that incident."""
    rng = np.random.default_rng(3)
    genuine = _rows(rng, 9_500, 0)
    fraud = _fraud(rng, 500, 9_500, "stolen_card")
    spree = _fraud(
        rng, 15, 10_000, "account_takeover",
        customer_id=7, city="Pune", fraud_scenario_id=np.full(15, 10_000, dtype=np.int64),
    )  # fmt: skip
    return _write(tmp_path_factory.mktemp("fingerprinted"), pl.concat([genuine, fraud, spree]))


def test_a_fingerprint_does_not_hold_on_held_out_incidents(fingerprinted: Path) -> None:
    """One incident's city is a rule of precision 1.0 on the whole data, but rules found on
    one half of the incidents and customers, measured on the other, find nothing that precise:
    the incident lies in one half only."""
    report = audit(fingerprinted, trees=False, min_recall=0.02)
    pune = report.most_precise
    assert pune is not None
    assert (pune.precision, pune.fraud_rows, pune.incidents) == (1.0, 15, 1)
    assert pune.patterns == {"account_takeover": 15}
    held = report.most_precise_held_out
    assert held is not None
    assert held.precision < 0.5  # near the base rate of 0.05


@pytest.fixture(scope="module")
def one_account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean data's distribution plus one account's three incidents of six rows each in a
    city no other row has (a mule account's rounds): a fingerprint of one account that spans
    three incidents."""
    rng = np.random.default_rng(4)
    genuine = _rows(rng, 9_500, 0)
    fraud = _fraud(rng, 500, 9_500, "stolen_card")
    rounds = _fraud(
        rng, 18, 10_000, "money_mule",
        customer_id=8, city="Jaipur", fraud_scenario_id=np.repeat(np.arange(3) + 20_000, 6),
    )  # fmt: skip
    return _write(tmp_path_factory.mktemp("one_account"), pl.concat([genuine, fraud, rounds]))


def test_rules_count_the_accounts_they_cover(one_account: Path) -> None:
    """The account's rounds make a rule of precision 1.0 over three incidents and one account;
    the most precise rule over three incidents and three accounts is not it, and is near the
    base rate (518 fraud rows of 10,018)."""
    report = audit(one_account, trees=False, held_out=False, min_recall=0.02)
    best = report.most_precise
    assert best is not None
    assert (best.precision, best.fraud_rows, best.incidents, best.accounts) == (1.0, 18, 3, 1)
    spread = report.most_precise_spread
    assert spread is not None
    assert spread.incidents >= 3
    assert spread.accounts >= 3
    assert spread.precision < 0.5
    assert report.spread == 3


def test_the_gate_can_skip_fingerprints(one_account: Path) -> None:
    """``--fail-on-precision`` counts every rule unless ``--min-incidents`` asks for rules over
    that many incidents and accounts; a count below 1 is refused."""
    args = ["audit", str(one_account), "--no-trees", "--no-held-out", "--min-recall", "0.02"]
    assert main([*args, "--fail-on-precision", "0.8"]) == 1
    assert main([*args, "--fail-on-precision", "0.8", "--min-incidents", "3"]) == 0
    assert main([*args, "--fail-on-precision", "0.8", "--min-incidents", "0"]) == 2


def test_a_tell_of_the_generator_holds_on_held_out_incidents(planted_report: Audit) -> None:
    """The fraudster devices' own key space (600 one-row incidents) is as precise on the half
    of the incidents it was not found on; the figures are that half's."""
    held = planted_report.most_precise_held_out
    assert held is not None
    assert held.precision == 1.0
    assert held.patterns == {"stolen_card": held.fraud_rows}
    assert 200 <= held.fraud_rows <= 400
    assert held.recall == pytest.approx(held.fraud_rows / (held.fraud_rows / held.recall))


def test_held_out_groups_keep_customers_and_incidents_together() -> None:
    """Exact groups on a hand-made graph: customers 10 and 20 share incident 0 (one group);
    30 and its incident 1 another; 40, genuine only, its own; 50 is in four incidents, more
    than ``HUB_INCIDENTS``, so it links none: each of its fraud rows goes with its incident
    and each of its genuine rows is a group of its own (numbered after the 11 nodes)."""
    from fraudforge.analytics.audit._holdout import HUB_INCIDENTS, groups

    assert HUB_INCIDENTS == 3
    customer = np.array([10, 10, 20, 30, 30, 40, 50, 50, 50, 50, 50, 50])
    fraud = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
    incident = np.array([0, -1, 0, 1, -1, -1, 2, 3, 4, 5, -1, -1])
    # nodes: customers 10, 20, 30, 40, 50 are 0-4; incident k is 5 + k; row r after them, 11 + r
    expected = [0, 0, 0, 2, 2, 3, 7, 8, 9, 10, 21, 22]
    assert groups(customer, incident, fraud).tolist() == expected


def test_the_tables_fit_80_columns_whole(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns the rules and trees print as records (figures on one line, the rule on
    its own), every line within 80 columns and no rule cut; wide, they print as tables."""
    from fraudforge import cli

    monkeypatch.setattr(cli.out, "width", 80)
    assert main(["audit", str(generated), "--top", "5", "--quiet"]) == 0
    narrow = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "…" not in narrow
    assert main(["audit", str(generated), "--top", "5", "--quiet", "--json"]) == 0
    report = msgspec.json.decode(capsys.readouterr().out, type=Audit)
    for r in report.rules:
        assert f"\n    {r.text}\n" in narrow or len(r.text) > 76
        assert f"precision {r.precision:.3f}" in narrow
    monkeypatch.setattr(cli.out, "width", 400)
    assert main(["audit", str(generated), "--top", "5", "--quiet"]) == 0
    wide = capsys.readouterr().out
    assert "patterns hit" in wide
    assert all(r.text in wide for r in report.rules)
