"""``fraudforge realism``: the measures on a hand-made dataset (exact values), the calibration
table's validation, the command line, and the default preset inside every band."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import polars as pl
import pytest

from fraudforge.cli import main
from fraudforge.engine.dataset import Manifest, generate
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import (
    CUSTOMERS,
    MERCHANTS,
    SCHEMA_VERSION,
    TRANSACTIONS,
    Column,
    polars_schema,
)
from fraudforge.realism import Figure, Selection, Targets, TargetsError, load_targets, score

T0 = dt.datetime(2025, 9, 1, 10, 0)  # a Monday


def _tx(**row: object) -> dict[str, object]:
    """One transactions row with defaults for every column."""
    base: dict[str, object] = {c.name: None for c in TRANSACTIONS}
    base.update(
        transaction_id=0, timestamp=T0, customer_id=1, amount_inr=100.0, payment_mode="upi",
        card_network="none", channel="pos", txn_type="purchase", status="approved",
        category="grocery", city="Mumbai", state="Maharashtra", lat=19.0, lon=72.8,
        is_fraud=False, fraud_type="none", is_anomaly=False, anomaly_type="none",
        anomaly_severity=0.0, label_known_at=T0, merchant_id=1,
    )  # fmt: skip
    base.update(row)
    return base


def _table(columns: tuple[Column, ...], known: dict[str, list[object]]) -> pl.DataFrame:
    """A table of the schema's columns with ``known`` ones filled, the others null."""
    n = len(next(iter(known.values())))
    data = {c.name: known.get(c.name, [None] * n) for c in columns}
    return pl.DataFrame(data, schema=polars_schema(columns))


def _write_dataset(root: Path, rows: list[dict[str, object]]) -> Path:
    """A dataset directory holding exactly ``rows``, as ``generate`` lays one out."""
    (root / "transactions").mkdir(parents=True)
    (root / "customers").mkdir()
    tx = pl.DataFrame(rows, schema=polars_schema(TRANSACTIONS))
    tx.write_parquet(root / "transactions" / "part-00000.parquet")
    customers = _table(CUSTOMERS, {"customer_id": [1, 2], "city_tier": [1, 3]})
    customers.write_parquet(root / "customers" / "part-00000.parquet")
    merchants = _table(
        MERCHANTS,
        {
            "merchant_id": [1, 2],
            "category": ["grocery", "electronics"],
            "city": ["Mumbai", "Pune"],
            "is_online": [False, False],
        },
    )
    merchants.write_parquet(root / "merchants.parquet")
    manifest = Manifest(
        schema_version=SCHEMA_VERSION, fraudforge_version="test", scenario={}, resolved={},
        format="parquet", rows={"transactions": tx.height, "customers": 2, "merchants": 2},
        fraud_counts={}, anomaly_counts={},
        files=[{"path": f} for f in ("transactions/part-00000.parquet",
                                     "customers/part-00000.parquet", "merchants.parquet")],
        content_hash="test", seconds=0.0,
    )  # fmt: skip
    (root / "manifest.json").write_bytes(msgspec.json.encode(manifest))
    return root


def _figure(id: str, measure: str, **kw: object) -> Figure:
    kw.setdefault("target", 0.5)
    kw.setdefault("low", 0.0)
    kw.setdefault("high", 1e9)
    return msgspec.convert(
        {"id": id, "description": id, "measure": measure, "source": "test", "year": 2025, **kw},
        Figure,
    )


def test_measures_on_a_hand_made_dataset(tmp_path: Path) -> None:
    """Six genuine payments and one fraud (ignored): every measure's exact value."""
    day2 = T0 + dt.timedelta(days=1)
    rows = [
        _tx(transaction_id=1, amount_inr=100.0),
        _tx(transaction_id=2, amount_inr=300.0, merchant_id=2, category="electronics"),
        _tx(transaction_id=3, amount_inr=600.0, payment_mode="credit_card", card_network="visa"),
        _tx(transaction_id=4, amount_inr=1000.0, txn_type="p2p_transfer", merchant_id=None,
            category="p2p", customer_id=2, timestamp=day2, status="declined"),
        _tx(transaction_id=5, amount_inr=2000.0, txn_type="withdrawal", category="atm",
            payment_mode="debit_card", timestamp=day2 + dt.timedelta(hours=12)),
        _tx(transaction_id=6, amount_inr=500.0, customer_id=2, timestamp=day2),
        _tx(transaction_id=7, amount_inr=99_999.0, is_fraud=True, fraud_type="card_testing"),
    ]  # fmt: skip
    data = _write_dataset(tmp_path / "d", rows)
    upi = Selection(payment_mode=["upi"])
    figures = [
        _figure("upi_share", "share", where=upi),  # 4 of 6
        _figure("upi_value", "value_share", where=upi),  # 1900 / 4500
        _figure("card_per_upi", "ratio", of=upi, where=Selection(payment_mode=["credit_card"]),
                scale=100),  # 100 * 1 / 4
        _figure("upi_mean", "mean_amount", of=upi),  # (100+300+1000+500) / 4
        _figure("median", "median_amount"),  # of 100 300 500 600 1000 2000
        _figure("q", "quantile_amount", q=1.0),
        _figure("max", "max_amount"),
        _figure("atm", "distinct_amounts", of=Selection(txn_type=["withdrawal"])),
        _figure("peak", "peak_day_ratio"),  # days: 3 and 3 rows
        _figure("tier3", "share", where=Selection(city_tier=[3])),  # customer 2: 2 of 6
        _figure("declined", "share", where=Selection(status=["declined"])),
        _figure("small", "share", of=upi, where=Selection(amount_max=300.0)),  # 2 of 4
        _figure("morning", "share", where=Selection(hour_from=10, hour_to=12)),  # 5 of 6
        _figure("top1", "top_merchant_share", n=1),  # merchant 1: 4 of 5 with a merchant
        _figure("shops", "coverage", column="city",
                where=Selection(category=["grocery"], online=False)),
        _figure("monday", "daily_ratio", of=Selection(weekend=False), where=Selection(month=[9])),
    ]  # fmt: skip
    card = score(data, Targets(name="t", description="t", figure=figures))
    got = {r.id: r.measured for r in card.results}
    assert card.genuine_rows == 6
    assert got["upi_share"] == pytest.approx(4 / 6)
    assert got["upi_value"] == pytest.approx(1900 / 4500)
    assert got["card_per_upi"] == pytest.approx(25.0)
    assert got["upi_mean"] == pytest.approx(475.0)
    assert got["median"] == pytest.approx(550.0)
    assert got["q"] == pytest.approx(2000.0)
    assert got["max"] == pytest.approx(2000.0)
    assert got["atm"] == 1
    assert got["peak"] == pytest.approx(1.0)
    assert got["tier3"] == pytest.approx(2 / 6)
    assert got["declined"] == pytest.approx(1 / 6)
    assert got["small"] == pytest.approx(0.5)
    assert got["morning"] == pytest.approx(5 / 6)
    assert got["top1"] == pytest.approx(4 / 5)
    from fraudforge.engine import geo

    assert got["shops"] == pytest.approx(1 / geo.N_CITIES)
    assert got["monday"] == pytest.approx(1.0)
    se = {r.id: r.stderr for r in card.results}
    # Clustered by customer: customer 1 has 2 UPI payments of 4, customer 2 both of 2.
    r = 4 / 6
    spread = ((2 - 4 * r) ** 2 + (2 - 2 * r) ** 2) * 2 / 1
    assert se["upi_share"] == pytest.approx(spread**0.5 / 6)
    assert se["median"] == 0.0


def test_sampling_noise_counts_as_inside(tmp_path: Path) -> None:
    """A share just outside its band is inside when the band is within two standard errors,
    and outside once the sample is large enough to tell."""
    small = _write_dataset(
        tmp_path / "s", [_tx(transaction_id=i, customer_id=i, payment_mode="upi" if i < 3
                             else "wallet") for i in range(4)]
    )  # fmt: skip
    fig = _figure("upi", "share", where=Selection(payment_mode=["upi"]), target=0.9, low=0.85,
                  high=0.95)  # fmt: skip
    table = Targets(name="t", description="t", figure=[fig])
    result = score(small, table).results[0]
    assert result.measured == pytest.approx(0.75)
    assert result.stderr == pytest.approx((0.1875 / 3) ** 0.5)  # one payment per customer
    assert result.inside  # 0.75 + 2 * 0.25 reaches 0.85
    big = _write_dataset(
        tmp_path / "b", [_tx(transaction_id=i, customer_id=i, payment_mode="upi" if i % 4
                             else "wallet") for i in range(4000)]
    )  # fmt: skip
    assert not score(big, table).results[0].inside


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense = 1", "unknown field `nonsense`"),
        ('name = "x"\ndescription = "x"\n[[figure]]\nid = "a"\ndescription = "a"\n'
         'measure = "share"\nwhere = {}\ntarget = 2\nlow = 0\nhigh = 1\nsource = "s"\nyear = 1',
         "target 2.0 is outside its band"),
        ('name = "x"\ndescription = "x"\n[[figure]]\nid = "a"\ndescription = "a"\n'
         'measure = "share"\ntarget = 0.5\nlow = 0\nhigh = 1\nsource = "s"\nyear = 1',
         "measure `share` needs `where`"),
        ('name = "x"\ndescription = "x"\n[[figure]]\nid = "a"\ndescription = "a"\n'
         'measure = "mode"\ntarget = 0.5\nlow = 0\nhigh = 1\nsource = "s"\nyear = 1',
         "Invalid enum value 'mode'"),
    ],
)  # fmt: skip
def test_a_bad_table_is_refused_naming_what_is_wrong(
    text: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(TargetsError, match=message):
        load_targets(path)


def test_unknown_values_in_a_selection_name_the_allowed_ones(tmp_path: Path) -> None:
    data = _write_dataset(tmp_path / "d", [_tx(transaction_id=1)])
    fig = _figure("x", "share", where=Selection(payment_mode=["cash"]))
    with pytest.raises(TargetsError, match="payment_mode 'cash' is unknown; allowed are upi"):
        score(data, Targets(name="t", description="t", figure=[fig]))


def test_the_bundled_table_loads_and_its_ids_are_documented() -> None:
    """Every figure of the bundled table has a source, a band holding its target, and a row in
    docs/realism.md."""
    table = load_targets()
    doc = (Path(__file__).parents[2] / "docs" / "realism.md").read_text()
    assert len(table.figure) >= 30
    for f in table.figure:
        assert f.source
        assert f"`{f.id}`" in doc, f.id


@pytest.fixture(scope="module")
def default_preset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default india preset at 300K rows (about two seconds to generate)."""
    out = tmp_path_factory.mktemp("realism") / "data"
    generate(Scenario(target_rows=300_000, seed=42), out)
    return out


def test_the_default_preset_is_inside_every_band(default_preset: Path) -> None:
    """The realism contract: the default preset's genuine traffic matches every public figure
    of the bundled table (within sampling noise at this size)."""
    card = score(default_preset)
    outside = [(r.id, r.measured, r.low, r.high) for r in card.results if not r.inside]
    assert outside == []


def test_cli_prints_json_markdown_and_fails_strictly(
    default_preset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["realism", str(default_preset), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["table"] == "india"
    assert doc["inside"] == len(doc["results"])
    assert main(["realism", str(default_preset), "--markdown"]) == 0
    assert "| figure | measured | target | band | inside | source |" in capsys.readouterr().out
    impossible = tmp_path / "bank.toml"
    impossible.write_text(
        'name = "bank"\ndescription = "x"\n[[figure]]\nid = "all_wallet"\ndescription = "x"\n'
        'measure = "share"\nwhere = { payment_mode = ["wallet"] }\ntarget = 0.99\nlow = 0.98\n'
        'high = 1.0\nsource = "ours"\nyear = 2026\n'
    )
    assert main(["realism", str(default_preset), "--targets", str(impossible)]) == 0
    assert "0 of 1 figures inside their band; outside: all_wallet" in capsys.readouterr().out
    assert main(["realism", str(default_preset), "--targets", str(impossible), "--strict"]) == 1
