"""Each concept is defined once and its users agree with it: the dataset schema (the wire's
``Transaction``, the wire's enumerations, the label lists), and the model reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import numpy as np
import polars as pl
import pytest

from fraudforge.engine import schema
from fraudforge.wire import ENUM_VALUES, ModelRefError, ModelSpec, Transaction, vocabulary
from fraudforge.wire import reference as wire_reference
from tests.conftest import Dataset

ROOT = Path(__file__).resolve().parents[1]


def _wire_type(t: mi.Type) -> tuple[str, Any]:
    """A wire field's type as (kind, detail), constraints and ``None`` left out."""
    if isinstance(t, mi.UnionType):
        (t,) = [u for u in t.types if not isinstance(u, mi.NoneType)]
    if isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.LiteralType):
        return ("enum", frozenset(t.values))
    kinds = {
        mi.IntType: "int", mi.FloatType: "float", mi.StrType: "str", mi.DateTimeType: "time",
        mi.BoolType: "bool",
    }  # fmt: skip
    return (kinds[type(t)], None)


def _column_type(dtype: pl.DataType) -> tuple[str, Any]:
    """A schema column's type in the same terms."""
    if isinstance(dtype, pl.Enum):
        return ("enum", frozenset(dtype.categories))
    if dtype.is_integer():
        return ("int", None)
    if dtype.is_float():
        return ("float", None)
    if isinstance(dtype, pl.Datetime):
        return ("time", None)
    if dtype == pl.Boolean():
        return ("bool", None)
    assert dtype == pl.String(), dtype
    return ("str", None)


def test_the_wire_transaction_is_the_authorisation_columns() -> None:
    """The service's ``Transaction`` has exactly the schema's identifier and observed columns,
    with the same types (Enum columns as literals over the same values; msgspec sorts them,
    the vocabulary test holds their order)."""
    info = mi.type_info(Transaction)
    assert isinstance(info, mi.StructType)
    wire = {f.name: _wire_type(f.type) for f in info.fields}
    seen = [c for c in schema.TRANSACTIONS if c.name in schema.AUTHORISATION_COLUMNS]
    assert sorted(wire) == sorted(schema.AUTHORISATION_COLUMNS)
    assert wire == {c.name: _column_type(c.dtype) for c in seen}


def test_the_wire_takes_a_null_exactly_where_the_data_has_one(small: Dataset) -> None:
    """A ``Transaction`` field is optional exactly when its column holds nulls in generated
    data (P2P payments have no merchant or MCC; card-present ones no device; ...), and every
    generated row converts to a ``Transaction``."""
    info = mi.type_info(Transaction)
    assert isinstance(info, mi.StructType)
    optional = {f.name for f in info.fields if not f.required}
    tx = small.transactions
    assert {c for c in schema.AUTHORISATION_COLUMNS if tx[c].null_count()} == optional
    rows = tx.select(schema.AUTHORISATION_COLUMNS).head(2_000).to_dicts()
    assert len(msgspec.convert(rows, list[Transaction])) == 2_000


def test_the_wire_vocabulary_is_generated_from_the_schema() -> None:
    """``wire/vocabulary.py`` is what the schema generates (regenerate it with
    ``python -m fraudforge.engine.schema wire``), and holds every Enum column's values."""
    path = ROOT / "src" / "fraudforge" / "wire" / "vocabulary.py"
    assert path.read_text(encoding="utf-8") == schema.wire_vocabulary()
    assert vocabulary.ENUM_VALUES == ENUM_VALUES == schema.ENUM_VALUES
    assert ENUM_VALUES["fraud_type"][0] == "none"
    assert "Mumbai" in ENUM_VALUES["city"]


_NUMERIC: dict[pl.DataType, type[np.generic]] = {
    pl.Int64(): np.int64, pl.Int32(): np.int32, pl.Int16(): np.int16, pl.Float64(): np.float64,
    pl.Float32(): np.float32,
}  # fmt: skip
"""The NumPy type of a generator array stored as a numeric column of this type."""


def test_the_generator_fields_and_the_schema_columns_agree(small: Dataset) -> None:
    """Every transactions column is either stored as one generator array is (``rows.STORED``) or
    derived by ``frames.DERIVED``, never both; the generator's own arrays name no column; each
    stored array's NumPy type holds its column's values (Enum codes up to the last value,
    numbers of the column's type, flags and seconds as signed integers so that -1 can be null);
    the session fields are the schema's session columns; and the generated table has the
    schema's columns in order and types."""
    from fraudforge.engine import frames, rows

    dtypes = {c.name: c.dtype for c in schema.TRANSACTIONS}
    stored = [column for _, column in rows.STORED]
    assert sorted([*stored, *frames.DERIVED]) == sorted(dtypes)
    assert rows.GENERATOR_ONLY == ("cust", "merchant", "payee", "label_delay")
    assert set(rows.GENERATOR_ONLY).isdisjoint([*dtypes, *small.transactions.columns])
    for field, column in rows.STORED:
        kind, dtype = np.dtype(rows.ROW_DTYPES[field]), dtypes[column]
        if isinstance(dtype, pl.Enum):
            assert np.iinfo(kind).max >= len(dtype.categories) - 1, (field, column)
            assert np.issubdtype(kind, np.signedinteger), (field, column)
        elif dtype == pl.Boolean():
            assert np.issubdtype(kind, np.signedinteger), (field, column)
        elif isinstance(dtype, pl.Datetime):
            assert kind == np.int64, (field, column)
        else:
            assert kind == _NUMERIC[dtype], (field, column)
    session = {c for f in rows.FIELDS_SPEC if f.name in rows.SESSION_FIELDS for c in f.stored_as}
    assert session == set(schema.SESSION_COLUMNS)
    frames.check_schema(small.transactions, schema.TRANSACTIONS)


def test_a_stored_column_is_converted_by_its_type() -> None:
    """``frames.stored``: codes to the Enum, a positive code to true, seconds to microseconds,
    and a negative value to null."""
    from fraudforge.engine.frames import stored

    i8 = np.int8
    values = schema.ENUM_VALUES["upi_initiation"]
    via = stored("upi_initiation", np.array([-1, 0, 2], i8))
    assert via.to_list() == [None, values[0], values[2]]
    assert via.dtype == pl.Enum(list(values))
    assert stored("is_fraud", np.array([0, 3, 1], i8)).to_list() == [False, True, True]
    assert stored("remote_access", np.array([-1, 0, 1], i8)).to_list() == [None, False, True]
    assert stored("device_id", np.array([-1, 7], np.int64)).to_list() == [None, 7]
    assert stored("device_bound_days", np.array([-1, 3], np.int32)).dtype == pl.Int32()
    when = stored("timestamp", np.array([86_400], np.int64))
    assert when.dtype == pl.Datetime("us")
    assert when.to_list()[0].isoformat() == "1970-01-02T00:00:00"
    assert stored("anomaly_severity", np.array([0.5], np.float32)).dtype == pl.Float32()


def test_the_label_lists_derive_from_the_roles() -> None:
    """Labels and outcomes are never seen at authorisation; the features table carries a
    subset of them; every transactions column has exactly one role."""
    roles = {c.name: c.role for c in schema.TRANSACTIONS}
    assert schema.LABEL_COLUMNS == (
        "is_fraud", "fraud_type", "fraud_scenario_id", "is_anomaly", "anomaly_type",
        "anomaly_severity", "label_known_at",
    )  # fmt: skip
    assert schema.OUTCOME_COLUMNS == ("is_fraud", "label_known_at")
    assert schema.TRAINING_LABELS == (
        "is_fraud", "fraud_type", "is_anomaly", "anomaly_type", "label_known_at",
    )  # fmt: skip
    assert set(schema.TRAINING_LABELS) <= set(schema.LABEL_COLUMNS)
    assert set(schema.AUTHORISATION_COLUMNS).isdisjoint(schema.LABEL_COLUMNS)
    assert len(schema.AUTHORISATION_COLUMNS) + len(schema.LABEL_COLUMNS) == len(roles)
    assert all(roles[name] is schema.Role.IDENTIFIER for name in roles if name.endswith("_id")
               and name != "fraud_scenario_id")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("fraud", ModelSpec("fraud")),
        ("fraud@staging", ModelSpec("fraud", stage="staging")),
        ("fraud@production", ModelSpec("fraud", stage="production")),
        ("fraud-lgbm.2:7", ModelSpec("fraud-lgbm.2", 7)),
    ],
)
def test_a_model_reference_parses_and_prints_back(text: str, spec: ModelSpec) -> None:
    """NAME, NAME@STAGE and NAME:VERSION; ``str`` gives the text back."""
    assert ModelSpec.parse(text) == spec
    assert str(spec) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fraud@live", "unknown stage `live`: allowed are none, staging, production, archived"),
        ("fraud:x", "invalid model reference `fraud:x`: allowed are NAME, NAME:VERSION or"),
        ("fraud:", "invalid model reference"),
        (":3", "invalid model reference"),
        ("fraud:1:2", "invalid model reference"),
        ("fraud:١٢", "invalid model reference"),
        ("fraud:１２", "invalid model reference"),
        ("", "invalid model reference"),
        ("-fraud", "invalid model reference"),
    ],
)
def test_a_bad_model_reference_names_the_accepted_forms(text: str, message: str) -> None:
    """Anything else is a ``ModelRefError`` (a ``ValueError`` and a ``FraudforgeError``)."""
    with pytest.raises(ModelRefError, match=message):
        ModelSpec.parse(text)


def test_a_model_reference_takes_a_version_or_a_stage() -> None:
    """Built in code, a reference with both is refused; so is an unknown stage."""
    with pytest.raises(ModelRefError, match="give a version or a stage, not both"):
        ModelSpec("fraud", 3, "production")
    with pytest.raises(ModelRefError, match="unknown stage `live`"):
        ModelSpec("fraud", stage="live")


def test_the_wire_and_the_registry_agree_on_names_and_stages() -> None:
    """A name the registry accepts is a name the admin API accepts, and the API's stages are
    the registry's."""
    from fraudforge.models import STAGES
    from fraudforge.models.registry import _NAME
    from fraudforge.wire import Promote

    assert STAGES is wire_reference.STAGES
    for name in ("fraud", "Fraud-2.x_y", "a" * 64):
        assert _NAME.match(name)
        msgspec.convert({"name": name, "version": 1}, Promote)
    for name in ("-fraud", "a" * 65, "fraud model"):
        assert not _NAME.match(name)
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"name": name, "version": 1}, Promote)


def test_the_features_read_only_what_a_bank_sees() -> None:
    """The transactions columns the features stage reads are seen at authorisation, or are
    outcomes (read only once ``label_known_at`` has passed); the labels it copies next to the
    features are the schema's training labels, never inputs."""
    from fraudforge.features.batch import FEATURE_INPUTS
    from fraudforge.features.layout import SESSION_INPUTS

    seen = {*schema.AUTHORISATION_COLUMNS, *schema.OUTCOME_COLUMNS}
    assert set(FEATURE_INPUTS) <= seen, set(FEATURE_INPUTS) - seen
    assert set(SESSION_INPUTS) <= set(schema.SESSION_COLUMNS)


_OUTSIDE_ROOT = {"client/errors.py": {"ClientError"}, "ops/_http.py": {"AdminError"}}
"""Errors not under ``FraudforgeError``: the client's own root (the client imports only the
wire), and the admin calls' private error, which ``ops.deploy`` turns into a ``DeployError``."""


def test_every_error_is_under_the_root() -> None:
    """Every exception class of the package derives from ``FraudforgeError`` (through its bases
    as written in the source), except the client's own tree and ``_OUTSIDE_ROOT``."""
    import ast

    bases: dict[str, tuple[str, set[str]]] = {}
    src = ROOT / "src" / "fraudforge"
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases}
                bases[node.name] = (str(path.relative_to(src)), names)

    def rooted(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "FraudforgeError":
            return True
        if name not in bases or name in seen:
            return False
        return any(rooted(b, seen | {name}) for b in bases[name][1])

    def is_error(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name.endswith(("Error", "Exception")) and name not in bases:
            return True  # a built-in or library exception
        if name not in bases or name in seen:
            return False
        return any(is_error(b, seen | {name}) for b in bases[name][1])

    loose = sorted(
        f"{where}: {name}"
        for name, (where, _) in bases.items()
        if is_error(name)
        and not rooted(name)
        and not where.startswith("client/")
        and name not in _OUTSIDE_ROOT.get(where, set())
    )
    assert loose == []


_BUILTIN_RAISES = ("ValueError", "TypeError", "KeyError", "RuntimeError", "Exception")
"""The built-in classes a user's error must not be raised as: each has a subclass under the root
(``foundation.errors``: ``ConfigError``, ``DataError``, ``ModelError``, ``UnsupportedTypeError``,
``NotFoundError``, ``NotLoadedError``) that is still that built-in for its callers."""

_BUILTIN_ALLOWED: dict[str, set[str]] = {
    # msgspec turns a ValueError in __post_init__ or a decoding hook into its ValidationError
    # (the wire's contract: the service answers it 422 naming the field)
    "wire/messages.py": {"to_ist_naive", "Thresholds.__post_init__"},
    # httptools' parser callbacks stop the parser with a ValueError (then send_400_response)
    "service/_protocol.py": {"BoundedHttpTools._count"},
    # the client's own tree (it needs only the wire); bad constructor arguments are the
    # ValueError any Python library raises
    "client/_core.py": {"Core.__init__"},
    "client/_retry.py": {"RetryPolicy.__post_init__"},
    # a helper or child process that died: a fault, not a request a user can correct, so it
    # keeps the traceback the command line prints for faults
    "engine/_workers.py": {"PartWorker.run"},
    "bench/scale.py": {"measure"},
}
"""Where a built-in class is the right thing to raise, by file and function, and why."""


def test_no_error_is_raised_as_a_bare_builtin() -> None:
    """No module raises ``ValueError``, ``TypeError``, ``KeyError``, ``RuntimeError`` or
    ``Exception`` itself (a user's error is a subclass of ``FraudforgeError`` that is also the
    built-in), except the functions ``_BUILTIN_ALLOWED`` names; and every function named there
    still raises one, so the list cannot go stale."""
    import ast

    src = ROOT / "src" / "fraudforge"
    found: dict[str, set[str]] = {}

    def visit(node: ast.AST, where: str, path: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{where}.{child.name}" if where else child.name
            if isinstance(child, ast.Raise) and child.exc is not None:
                exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(exc, ast.Name) and exc.id in _BUILTIN_RAISES:
                    found.setdefault(path, set()).add(f"{inner or '<module>'}:{exc.id}")
            visit(child, inner, path)

    for path in sorted(src.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), "", str(path.relative_to(src)))
    bare = sorted(
        f"{path}: {item}"
        for path, items in found.items()
        for item in items
        if item.split(":")[0] not in _BUILTIN_ALLOWED.get(path, set())
    )
    assert bare == [], "raise a FraudforgeError subclass (foundation/errors.py) instead"
    stale = sorted(
        f"{path}: {name}"
        for path, names in _BUILTIN_ALLOWED.items()
        for name in names
        if name not in {item.split(":")[0] for item in found.get(path, set())}
    )
    assert stale == []


def test_the_error_groups_are_the_builtins_they_replace() -> None:
    """Each group of errors is under the root and still the built-in it replaced, so an
    ``except ValueError`` (``KeyError``, ...) written before keeps catching it; a lookup's
    message reads as its sentence."""
    from fraudforge.foundation import errors

    expected = {
        errors.ConfigError: ValueError,
        errors.DataError: ValueError,
        errors.ModelError: ValueError,
        errors.UnsupportedTypeError: TypeError,
        errors.NotFoundError: KeyError,
        errors.NotLoadedError: RuntimeError,
    }
    for cls, builtin in expected.items():
        assert issubclass(cls, errors.FraudforgeError), cls
        assert issubclass(cls, builtin), cls
    assert str(errors.NotFoundError("customer_id 9 is unknown")) == "customer_id 9 is unknown"
    assert str(KeyError("customer_id 9 is unknown")) == "'customer_id 9 is unknown'"
