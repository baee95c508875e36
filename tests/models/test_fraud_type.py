"""The fraud-type model: fitted on the fraud rows only, and its array form (what the service
runs per request) predicts exactly what the fitted scikit-learn pipeline predicts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fraudforge.models import FraudModel, ModelData
from fraudforge.models.fraud_type import FraudTypes, fit_fraud_type, type_pipeline


@pytest.fixture(scope="module")
def type_model(small_data: ModelData) -> FraudModel:
    """A fraud-type model over every other feature."""
    return fit_fraud_type(small_data, features=small_data.features[::2], name="t")


def test_fitted_on_the_fraud_rows(small_data: ModelData, type_model: FraudModel) -> None:
    """Its classes are the fraud types of the fraud rows ("none" is not one), and it records
    how many rows it was fitted on."""
    fraud = small_data.fraud_type != "none"
    assert type_model.kind == "logistic"
    assert type_model.features == small_data.features[::2]
    assert type_model.params["rows"] == int(fraud.sum())
    assert FraudTypes(type_model).classes == tuple(np.unique(small_data.fraud_type[fraud]))


def test_fraud_types_match_the_pipeline(small_data: ModelData, type_model: FraudModel) -> None:
    """The array form predicts what the scikit-learn pipeline fitted on the same fraud rows
    predicts, on every fraud row."""
    types = FraudTypes(type_model)
    x = type_model.matrix(small_data)
    fraud = small_data.fraud_type != "none"
    pipeline = type_pipeline().fit(x[fraud], small_data.fraud_type[fraud].astype(str))
    expected = pipeline.predict(x[fraud]).tolist()
    assert type_model.estimator.predict(x[fraud]).tolist() == expected
    assert types.predict_many(x[fraud]) == expected
    assert [types.predict(row) for row in x[fraud][:300]] == expected[:300]
    accuracy = np.mean(np.array(expected) == small_data.fraud_type[fraud])
    assert accuracy > 1.0 / len(types.classes) * 2  # learned something: well above chance


def test_refusals_name_the_problem(small_data: ModelData) -> None:
    """Fraud rows of a single type cannot train it (the message counts them); a model that is
    not an impute, scale and logistic pipeline cannot be read as one."""
    kept = np.isin(small_data.fraud_type, ["none", "card_testing"])
    one_type = small_data.subset(np.flatnonzero(kept))
    rows = int((one_type.fraud_type != "none").sum())
    with pytest.raises(ValueError, match=f"data has {rows} fraud rows of 1 type\\(s\\)"):
        fit_fraud_type(one_type)
    plain = FraudModel(kind="logistic", estimator=LogisticRegression(), features=("a",))
    with pytest.raises(ValueError, match=r"not a fraud-type model: .* got LogisticRegression"):
        FraudTypes(plain)
