"""Scenario: defaults, presets, validation errors that name field, value and what is allowed,
and loading from TOML and YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fraudforge.engine.errors import ScenarioError
from fraudforge.engine.scenario import Scenario, load_scenario
from fraudforge.engine.taxonomy import DEFAULT_FRAUD_MIX


def test_defaults_resolve_to_the_india_preset() -> None:
    """An empty Scenario is the india preset with documented defaults."""
    r = Scenario().resolved()
    assert (r.preset, r.seed, r.customers, r.days) == ("india", 42, 10_000, 90)
    assert r.start_date == dt.date(2025, 9, 1)
    assert r.fraud_rate == 0.02
    assert r.fraud_mix == pytest.approx(DEFAULT_FRAUD_MIX)
    assert sum(r.anomaly_mix.values()) == pytest.approx(1.0)


def test_handbook_preset_defaults() -> None:
    """The handbook preset uses the book's 5,000 customers, 10,000 terminals, 183 days."""
    r = Scenario(preset="handbook").resolved()
    assert (r.customers, r.merchants, r.days, r.start_date) == (
        5_000,
        10_000,
        183,
        dt.date(2018, 4, 1),
    )


def test_partial_mix_is_normalised_and_missing_patterns_are_off() -> None:
    """A mix naming some patterns gives them all the weight, normalised to 1."""
    r = Scenario(fraud_mix={"card_testing": 3, "money_mule": 1}).resolved()
    assert r.fraud_mix["card_testing"] == pytest.approx(0.75)
    assert r.fraud_mix["money_mule"] == pytest.approx(0.25)
    assert r.fraud_mix["card_cloning"] == 0.0


def test_target_rows_derives_customers() -> None:
    """target_rows sets the customer count so expected rows match the target."""
    small = Scenario(target_rows=100_000).resolved()
    large = Scenario(target_rows=1_000_000).resolved()
    assert 500 < small.customers < 1_000
    assert large.customers == pytest.approx(10 * small.customers, rel=0.01)


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"seed": -1}, "seed", "[0,"),
        ({"days": 0}, "days", "1 to 3650"),
        ({"fraud_rate": 0.9}, "fraud_rate", "0 to 0.5"),
        ({"fraud_rate": float("nan")}, "fraud_rate", "0 to 0.5"),
        ({"anomaly_rate": -0.1}, "anomaly_rate", "0 to 0.3"),
        ({"preset": "usa"}, "preset", "india, handbook"),
        ({"fraud_mix": {"phishing": 1.0}}, "fraud_mix.phishing", "card_cloning"),
        ({"fraud_mix": {"card_testing": -1.0}}, "fraud_mix.card_testing", ">= 0"),
        ({"fraud_mix": {"card_testing": 0.0}}, "fraud_mix", "at least one weight > 0"),
        ({"start_date": dt.date(2010, 1, 1)}, "start_date", "2018-01-01"),
        ({"start_date": dt.date(2027, 12, 1), "days": 90}, "days", "at most 31"),
        ({"days": 900}, "days", "from 2025-09-01 at most 852"),  # the preset's start date
        ({"shard_size": 10}, "shard_size", "64 to"),
        ({"customers": 5, "target_rows": 10}, "target_rows", "not both"),
        ({"preset": "handbook", "fraud_rate": 0.1}, "fraud_rate", "handbook"),
    ],
)
def test_invalid_fields_name_field_value_and_allowed(
    fields: dict[str, object], field: str, fragment: str
) -> None:
    """Each invalid field raises ScenarioError naming the field, the value and the allowed range."""
    with pytest.raises(ScenarioError) as info:
        Scenario.from_mapping(fields)
    assert info.value.field == field
    message = str(info.value)
    assert f"`{field}`" in message
    assert fragment in message


def test_type_errors_and_unknown_fields_are_scenario_errors() -> None:
    """Wrong types and unknown keys are reported like range errors."""
    with pytest.raises(ScenarioError, match=r"`days` = 'ninety'"):
        Scenario.from_mapping({"days": "ninety"})
    with pytest.raises(ScenarioError, match=r"`colour`.*one of: preset, seed"):
        Scenario.from_mapping({"colour": "red"})


def test_merchants_below_the_india_minimum_is_refused() -> None:
    """The india preset needs shops of everyday categories in every city."""
    with pytest.raises(ScenarioError, match="merchants"):
        Scenario(merchants=50).resolved()


def test_load_toml_and_yaml(tmp_path: Path) -> None:
    """The same scenario loads from TOML and from YAML."""
    toml = tmp_path / "s.toml"
    toml.write_text(
        "seed = 9\ncustomers = 1200\nstart_date = 2024-10-01\n[fraud_mix]\ncard_testing = 2.0\n"
    )
    yaml = tmp_path / "s.yaml"
    yaml.write_text(
        "seed: 9\ncustomers: 1200\nstart_date: 2024-10-01\nfraud_mix:\n  card_testing: 2.0\n"
    )
    a, b = load_scenario(toml), load_scenario(yaml)
    assert a == b
    assert a.start_date == dt.date(2024, 10, 1)
    assert a.resolved().fraud_mix["card_testing"] == 1.0


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    """A missing file is named as missing; unknown suffixes and malformed content are
    ScenarioErrors."""
    with pytest.raises(FileNotFoundError, match="missing.toml' does not exist: give an existing"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(FileNotFoundError, match="is a directory: give an existing"):
        load_scenario(tmp_path)
    bad = tmp_path / "s.json"
    bad.write_text("{}")
    with pytest.raises(ScenarioError, match=r"\.toml, \.yaml or \.yml"):
        load_scenario(bad)
    broken = tmp_path / "s.toml"
    broken.write_text("seed = = 1")
    with pytest.raises(ScenarioError, match="valid TOML"):
        load_scenario(broken)
    invalid = tmp_path / "v.yaml"
    invalid.write_text("days: 0\n")
    with pytest.raises(ScenarioError, match="`days` = 0"):
        load_scenario(invalid)
