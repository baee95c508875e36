"""Saving and loading a :class:`FraudModel` in safe formats only: LightGBM boosters as LightGBM's
own text model, scikit-learn estimators through skops with an explicit list of trusted types, and
composites holding LightGBM members (voting, stacking, bagging, calibrated) as a skops skeleton
whose members are slots filled from LightGBM text files. Nothing is ever unpickled.

A saved model is a directory: ``model.json`` (kind, features, params, threshold, the member list
and the sha256 of every other file), ``estimator.skops`` unless the model is a bare booster or an
array estimator, ``estimator.npz`` for an array estimator (the fraud-type model's
``LinearTypes``: NumPy arrays, no pickles; format 2), and ``member-NNN.lgb.txt`` per fitted
LightGBM member. Format 1 directories (before array estimators) read as before.

What a model needs is imported when it is read or written, not with this module: a bare booster
loaded for serving (``isolate``) is read by ``compiled.TextBooster`` without LightGBM, and the
fraud-type model's arrays need no scikit-learn, so the serving image carries neither LightGBM,
scikit-learn, skops nor SciPy. LightGBM, skops and scikit-learn are imported for the models that
need them (``models._lightgbm.BoosterClassifier`` for boosters read in full, skops for
composites and scikit-learn estimators)."""

from __future__ import annotations

import copy
import importlib
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fraudforge.foundation.atomic import check_target, staged_directory
from fraudforge.foundation.errors import ModelError
from fraudforge.foundation.hashing import sha256_file
from fraudforge.models.artefact import KINDS, FraudModel
from fraudforge.models.compiled import ModelTextError, TextBooster, UnsupportedModelError

FORMAT_VERSION = 2
"""The spec format written: 2 added array estimators (``estimator.npz``)."""
READ_FORMATS = (1, 2)
"""Spec formats read: format 1 is format 2 without array estimators."""
SPEC_FILE = "model.json"
SKOPS_FILE = "estimator.skops"
ARRAYS_FILE = "estimator.npz"

TRUSTED_TYPES: tuple[str, ...] = (
    "fraudforge.models._store.MemberSlot",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    "sklearn.utils._bunch.Bunch",
)
"""Types a skops artefact may hold beyond skops's own defaults (scikit-learn's public estimators,
NumPy arrays and dtypes, builtins). Anything else is refused before loading."""


class ArtefactError(ModelError):
    """A saved model that cannot be trusted or read: names the file and what is wrong."""


class BoosterScoring:
    """The scoring surface of a fitted binary ``LGBMClassifier`` over a booster ``booster_``
    (``classes_``, ``predict_proba``, ``decision_function``, ``predict``), shared by
    ``BoosterClassifier`` (a ``lightgbm.Booster``) and ``TextClassifier`` (a ``TextBooster``)."""

    booster_: Any
    classes_: np.ndarray
    model_str: str
    importance_type: str

    def decision_function(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 - scikit-learn's name
        """Raw margin (log-odds) per row, as ``LGBMClassifier.decision_function``."""
        return np.asarray(self.booster_.predict(X, raw_score=True), dtype=np.float64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 - scikit-learn's name
        """Probability of each class, as ``LGBMClassifier.predict_proba``."""
        p = np.asarray(self.booster_.predict(X), dtype=np.float64)
        return np.vstack((1.0 - p, p)).transpose()

    def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 - scikit-learn's name
        """Most probable class, as ``LGBMClassifier.predict`` (ties go to the first class)."""
        return np.asarray(self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(np.intp)])


class TextClassifier(BoosterScoring):
    """A binary LightGBM text model read without LightGBM (``compiled.TextBooster``), with the
    scoring surface of a fitted ``LGBMClassifier`` and the same scores: what the service loads
    (``read_model(..., isolate=True)``). It scores; it is not a scikit-learn estimator (use
    ``BoosterClassifier`` to refit, calibrate or combine)."""

    def __init__(
        self, model_str: str, *, classes: Iterable[Any], importance_type: str = "split"
    ) -> None:
        self.model_str = model_str
        self.importance_type = importance_type
        self.booster_ = TextBooster(model_str)
        self.classes_ = np.asarray(tuple(classes))
        self.n_classes_ = len(self.classes_)
        self.n_features_in_ = self.booster_.num_feature()


class MemberSlot:
    """Stands in a skops skeleton for LightGBM member ``index`` of the model's member list."""

    def __init__(self, index: int) -> None:
        self.index = index


def _is_lightgbm(obj: Any) -> bool:
    """A LightGBM classifier (stored as a member file): a ``TextClassifier``, or, once
    ``lightgbm`` is imported (none can exist before), an ``LGBMClassifier`` or
    ``BoosterClassifier``."""
    if isinstance(obj, TextClassifier):
        return True
    if "lightgbm" not in sys.modules:
        return False
    import lightgbm as lgb

    from fraudforge.models._lightgbm import BoosterClassifier

    return isinstance(obj, lgb.LGBMClassifier | BoosterClassifier)


def _substitute(obj: Any, replace: Callable[[Any], Any | None], memo: dict[int, Any]) -> Any:
    """``obj`` with every part for which ``replace`` gives a value swapped for it, through lists,
    tuples, dicts and scikit-learn / fraudforge objects; unchanged parts are not copied."""
    key = id(obj)
    if key in memo:
        return memo[key]
    swapped = replace(obj)
    if swapped is not None:
        memo[key] = swapped
        return swapped
    result = obj
    if isinstance(obj, list | tuple):
        items = [_substitute(v, replace, memo) for v in obj]
        if any(a is not b for a, b in zip(items, obj, strict=True)):
            result = type(obj)(items) if isinstance(obj, list) else tuple(items)
    elif isinstance(obj, dict):
        values = {k: _substitute(v, replace, memo) for k, v in obj.items()}
        if any(values[k] is not v for k, v in obj.items()):
            result = copy.copy(obj)
            result.update(values)
    elif type(obj).__module__.startswith(("sklearn.", "fraudforge.")) and hasattr(obj, "__dict__"):
        attrs = {k: _substitute(v, replace, memo) for k, v in vars(obj).items()}
        changed = {k: v for k, v in attrs.items() if v is not vars(obj)[k]}
        if changed:
            result = copy.copy(obj)
            for k, v in changed.items():
                object.__setattr__(result, k, v)
    memo[key] = result
    return result


def _jsonable(value: Any) -> Any:
    """``value`` as JSON data; a dict with non-string keys becomes ``{"__pairs__": [[k, v]]}``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _jsonable(v) for k, v in value.items()}
        return {"__pairs__": [[_jsonable(k), _jsonable(v)] for k, v in value.items()]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ArtefactError(
        f"cannot store the value {value!r} ({type(value).__name__}) in a model's JSON spec: "
        "allowed are numbers, strings, booleans, None, lists and dicts of them"
    )


def _from_json(value: Any) -> Any:
    """Inverse of :func:`_jsonable` (lists stay lists)."""
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__pairs__"}:
            return {_from_json(k): _from_json(v) for k, v in value["__pairs__"]}
        return {k: _from_json(v) for k, v in value.items()}
    return value


def write_model(model: FraudModel, directory: Path) -> list[str]:
    """Write ``model`` into the existing empty ``directory``; returns the files written."""
    members: list[dict[str, Any]] = []

    def to_slot(obj: Any) -> MemberSlot | None:
        if not _is_lightgbm(obj):
            return None
        index = len(members)
        if isinstance(obj, BoosterScoring):  # read from a text model: keep that text
            text, classes, importance = obj.model_str, obj.classes_, obj.importance_type
        elif getattr(obj, "fitted_", False):
            if obj.n_classes_ != 2:
                raise ArtefactError(
                    f"LightGBM member with {obj.n_classes_} classes: only binary models are stored"
                )
            text, classes = obj.booster_.model_to_string(), obj.classes_
            importance = obj.importance_type
        else:  # an unfitted template (an ensemble's `estimators` parameter): its parameters
            members.append({"params": _jsonable(obj.get_params(deep=False))})
            return MemberSlot(index)
        file = f"member-{index:03d}.lgb.txt"
        (directory / file).write_text(text, encoding="utf-8")
        members.append({"file": file, "classes": _jsonable(classes), "importance_type": importance})
        return MemberSlot(index)

    skeleton = _substitute(model.estimator, to_slot, {})
    spec: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "kind": model.kind,
        "name": model.name,
        "features": list(model.features),
        "params": _jsonable(model.params),
        "threshold": model.threshold,
        "members": members,
    }
    if isinstance(skeleton, MemberSlot):
        spec["estimator"] = {"member": skeleton.index}
    elif hasattr(skeleton, "to_arrays"):
        with open(directory / ARRAYS_FILE, "wb") as f:
            np.savez(f, **skeleton.to_arrays())
        spec["estimator"] = {"arrays": ARRAYS_FILE, "type": skeleton.ARRAYS}
    else:
        import skops.io as sio

        sio.dump(skeleton, directory / SKOPS_FILE)
        spec["estimator"] = {"skops": SKOPS_FILE}
    files = sorted(p.name for p in directory.iterdir())
    spec["sha256"] = {f: sha256_file(directory / f) for f in files}
    (directory / SPEC_FILE).write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return [SPEC_FILE, *files]


def _read_spec(directory: Path) -> dict[str, Any]:
    path = directory / SPEC_FILE
    if not path.is_file():
        raise ArtefactError(f"{path} is missing: not a saved fraudforge model")
    try:
        spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtefactError(f"{path} is not valid JSON ({exc}): the artefact is corrupted") from exc
    if spec.get("format") not in READ_FORMATS:
        raise ArtefactError(
            f"{path} has format {spec.get('format')!r}: allowed are formats "
            f"{', '.join(map(str, READ_FORMATS))}"
        )
    if spec.get("kind") not in KINDS:
        raise ArtefactError(
            f"{path} names model kind {spec.get('kind')!r}: allowed are {', '.join(KINDS)}"
        )
    return spec


def verify_files(directory: Path, expected: dict[str, str]) -> None:
    """Refuse a directory whose files differ from ``expected`` (name -> sha256): a missing or
    extra file, or one whose bytes changed."""
    present = {p.name for p in directory.iterdir() if p.is_file()}
    missing = sorted(set(expected) - present)
    if missing:
        raise ArtefactError(f"artefact {directory} lacks {', '.join(missing)}: refusing to load")
    for name, digest in sorted(expected.items()):
        actual = sha256_file(directory / name)
        if actual != digest:
            raise ArtefactError(
                f"artefact file {directory / name} has sha256 {actual}, recorded {digest}: "
                "it was altered or corrupted; refusing to load"
            )


_CHECK_CHILD = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.LGBM_GetLastError.restype = ctypes.c_char_p
ref = ctypes.byref
def call(code):
    if code != 0:
        raise RuntimeError(lib.LGBM_GetLastError().decode(errors="replace"))
out = []
for item in json.load(sys.stdin):
    handle = ctypes.c_void_p()
    try:
        iterations, n, k = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
        text = ctypes.c_char_p(item["text"].encode())
        call(lib.LGBM_BoosterLoadModelFromString(text, ref(iterations), ref(handle)))
        call(lib.LGBM_BoosterGetNumFeature(handle, ref(n)))
        call(lib.LGBM_BoosterGetNumClasses(handle, ref(k)))
        size = ctypes.c_int64(0)
        call(lib.LGBM_BoosterDumpModel(handle, 0, -1, 0, ctypes.c_int64(0), ref(size), None))
        dump = ctypes.create_string_buffer(size.value + 1)
        length = ctypes.c_int64(size.value + 1)
        call(lib.LGBM_BoosterDumpModel(handle, 0, -1, 0, length, ref(size), dump))
        width = max(n.value, 1)
        rows = (ctypes.c_double * (2 * width))(*([0.0] * width + [float("nan")] * width))
        result = (ctypes.c_double * (2 * max(k.value, 1)))()
        got = ctypes.c_int64(0)
        for kind in (0, 1):  # probability, raw score: every tree walked twice
            call(lib.LGBM_BoosterPredictForMat(
                handle, rows, 1, ctypes.c_int32(2), ctypes.c_int32(width), 1, kind, 0, -1, b"",
                ref(got), result,
            ))
    except RuntimeError as exc:
        out.append({"error": f"LightGBMError: {exc}"})
    else:
        out.append({"num_feature": n.value})
    finally:
        if handle.value:
            lib.LGBM_BoosterFree(handle)
json.dump(out, sys.stdout)
"""
"""Run in a child interpreter on LightGBM's C library directly (no Python package imports, so
it starts in tens of milliseconds): parses, dumps and predicts with each text model, so a model
that makes LightGBM abort (``terminate called``, SIGABRT) or crash kills only the child."""

CHECK_TIMEOUT_S = 120.0


def check_lightgbm_texts(
    texts: Sequence[tuple[str, str]], n_features: int | None, *, timeout: float = CHECK_TIMEOUT_S
) -> None:
    """Refuse LightGBM text models (``(label, text)`` pairs) that LightGBM cannot read, dump or
    predict with, or (unless ``n_features`` is None) that read other than ``n_features``
    features. The texts are loaded in a
    child process of the same interpreter first, so a malformed model that makes LightGBM abort
    takes down only the child; an :class:`ArtefactError` names the file and what is wrong."""
    if not texts:
        return
    flags = ["-P"] if sys.version_info >= (3, 11) else []
    payload = json.dumps([{"text": text} for _, text in texts])
    try:
        done = subprocess.run(
            [sys.executable, *flags, "-c", _CHECK_CHILD, _lightgbm_library()],
            input=payload,
            capture_output=True,
            encoding="utf-8",
            errors="replace",  # LightGBM may echo a damaged file's bytes in its messages
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ArtefactError(
            f"{texts[0][0]}: checking the LightGBM model took over {timeout:g} s; refusing it"
        ) from None
    labels = ", ".join(label for label, _ in texts)
    if done.returncode != 0:
        if done.returncode < 0:
            try:
                how = f"LightGBM crashed with {signal.Signals(-done.returncode).name}"
            except ValueError:
                how = f"LightGBM crashed with signal {-done.returncode}"
        else:
            how = f"the check exited {done.returncode}"
        said = [line for line in done.stderr.splitlines() if line.strip()]
        why = _lightgbm_reason(said)
        raise ArtefactError(
            f"{labels}: not a readable LightGBM model ({how}{': ' + why if why else ''}); "
            "the file is damaged: restore the registry from a backup or retrain"
        )
    try:
        found = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ArtefactError(f"{labels}: the LightGBM check gave no answer; refusing it") from None
    for (label, _), result in zip(texts, found, strict=True):
        if "error" in result:
            raise ArtefactError(f"{label}: not a readable LightGBM model ({result['error']})")
        if n_features is not None and result["num_feature"] != n_features:
            raise ArtefactError(
                f"{label}: the LightGBM model reads {result['num_feature']} features, the "
                f"model's spec lists {n_features}: the artefact is inconsistent"
            )


def _library(name: str, what: str) -> Any:
    """Module ``name``, imported for ``what``; where it is not installed (the serving image has
    neither LightGBM, scikit-learn nor skops) an ``ArtefactError`` saying what needs it and
    what can be served without it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ArtefactError(
            f"{what} needs {name.split('.')[0]}, which is not installed here (the serving image "
            "serves LightGBM models and fraud-type models saved as arrays without it): serve it "
            "where LightGBM and scikit-learn are installed (the batch image), or register the "
            "model again with this version's `fraudforge train`"
        ) from None


def _lightgbm_library() -> str:
    """The path of the LightGBM shared library the ``lightgbm`` package loaded."""
    lgb = _library("lightgbm", "checking a composite model's LightGBM members")

    loaded = getattr(getattr(lgb.basic, "_LIB", None), "_name", None)
    if isinstance(loaded, str) and Path(loaded).is_file():
        return loaded
    found = sorted((Path(lgb.__file__).parent / "lib").glob("lib_lightgbm.*"))
    if not found:
        raise ArtefactError("cannot find LightGBM's shared library to check the model with")
    return str(found[0])


def _lightgbm_reason(lines: Sequence[str]) -> str:
    """The most telling line of a crashed check's stderr (LightGBM's own ``[Fatal]`` message)."""
    said = next(
        (ln.split("[Fatal]", 1)[1] for ln in lines if "[Fatal]" in ln), lines[-1] if lines else ""
    )
    # the message may quote the damaged bytes (or memory beyond them): printable ASCII only
    return "".join(c if " " <= c <= "~" else "?" for c in said.strip()[:120])


def _member_texts(directory: Path, spec: dict[str, Any]) -> dict[int, str]:
    """The text of each LightGBM member file, by member index."""
    texts: dict[int, str] = {}
    for i, entry in enumerate(spec["members"]):
        if "file" in entry:
            path = directory / entry["file"]
            try:
                texts[i] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise ArtefactError(
                    f"{path} is not a LightGBM text model (not UTF-8: {exc}); the file is damaged"
                ) from None
    return texts


def check_model(directory: Path) -> None:
    """Check the model saved in ``directory`` without loading it with LightGBM here: the spec,
    every file's recorded sha256, then a bare booster's text read as ``read_model(...,
    isolate=True)`` reads it (fraudforge's reader: a damaged file is an error, never an abort)
    and a composite's LightGBM members in a child process (see :func:`check_lightgbm_texts`)."""
    spec = _read_spec(directory)
    verify_files(directory, spec.get("sha256", {}))
    texts = _member_texts(directory, spec)
    if "member" in spec["estimator"]:
        _text_members(directory, spec, texts)
        return
    check_lightgbm_texts(
        [(str(directory / spec["members"][i]["file"]), t) for i, t in texts.items()],
        _booster_features(spec),
    )


def _booster_features(spec: dict[str, Any]) -> int | None:
    """The feature count a bare-booster model's LightGBM file must read (None for a composite,
    whose members may read what the composite gives them)."""
    return len(spec["features"]) if "member" in spec["estimator"] else None


def _load_skops(path: Path) -> Any:
    sio = _library("skops.io", f"{path}")

    data = path.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a damaged zip or schema: skops raises several kinds
        raise ArtefactError(f"{path} is not a readable skops file ({exc})") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ArtefactError(
            f"{path} holds types outside the trusted list: {', '.join(refused)}; allowed beyond "
            f"skops's defaults are {', '.join(TRUSTED_TYPES)}"
        )
    return sio.loads(data, trusted=[t for t in untrusted if t in TRUSTED_TYPES])


def _load_arrays(directory: Path, source: dict[str, Any]) -> Any:
    """The array estimator ``source`` names (``{"arrays": FILE, "type": NAME}``)."""
    from fraudforge.models.fraud_type import LinearTypes

    path = directory / source["arrays"]
    if source.get("type") != LinearTypes.ARRAYS:
        raise ArtefactError(
            f"{path} holds arrays of type {source.get('type')!r}: allowed is {LinearTypes.ARRAYS!r}"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            return LinearTypes.from_arrays({k: z[k] for k in z.files})
    except (OSError, ValueError, KeyError) as exc:
        raise ArtefactError(f"{path} is not a readable array estimator ({exc})") from exc


def _reading(path: Path, member: Any, n_features: int | None) -> Any:
    """``member``, refused unless it reads ``n_features`` features (any count when None)."""
    if n_features is not None and member.n_features_in_ != n_features:
        raise ArtefactError(
            f"{path}: the LightGBM model reads {member.n_features_in_} features, the "
            f"model's spec lists {n_features}: the artefact is inconsistent"
        )
    return member


def _text_members(directory: Path, spec: dict[str, Any], texts: dict[int, str]) -> list[Any]:
    """Every member of a bare-booster model read without LightGBM (``TextClassifier``); a text
    that does not parse or compile, or reads another feature count than the spec lists, is an
    ``ArtefactError`` naming the file."""
    built: list[Any] = []
    n_features = _booster_features(spec)
    for i, entry in enumerate(spec["members"]):
        path = directory / entry.get("file", f"member {i}")
        if i not in texts:
            raise ArtefactError(f"{path}: a bare booster's member must be a fitted LightGBM model")
        try:
            member = TextClassifier(
                texts[i], classes=entry["classes"], importance_type=entry["importance_type"]
            )
        except (ModelTextError, UnsupportedModelError) as exc:
            raise ArtefactError(
                f"{path}: not a readable LightGBM model ({exc}); the file is damaged: restore "
                "the registry from a backup or retrain"
            ) from None
        built.append(_reading(path, member, n_features))
    return built


def _lightgbm_members(directory: Path, spec: dict[str, Any], texts: dict[int, str]) -> list[Any]:
    """Every member read by LightGBM itself: a ``BoosterClassifier`` per member file, an
    unfitted ``LGBMClassifier`` per template."""
    lgb = _library("lightgbm", f"{directory}")
    _library("sklearn", f"{directory}")
    from fraudforge.models._lightgbm import BoosterClassifier

    built: list[Any] = []
    n_features = _booster_features(spec)
    for i, entry in enumerate(spec["members"]):
        if "file" not in entry:
            built.append(lgb.LGBMClassifier(**_from_json(entry["params"])))
            continue
        path = directory / entry["file"]
        try:
            member = BoosterClassifier.from_string(
                texts[i], classes=entry["classes"], importance_type=entry["importance_type"]
            )
        except lgb.basic.LightGBMError as exc:
            raise ArtefactError(f"{path}: {exc}") from exc
        built.append(_reading(path, member, n_features))
    return built


def read_model(directory: Path, *, isolate: bool = False) -> FraudModel:
    """Load the model written by :func:`write_model`, verifying each file's recorded sha256.
    With ``isolate``, nothing LightGBM cannot read reaches LightGBM in this process: a bare
    booster is read by fraudforge's own reader (a ``TextClassifier``: same scores, no LightGBM
    imported, what the service serves) and a composite's members are first loaded in a child
    process (see :func:`check_lightgbm_texts`); a malformed file is refused rather than
    aborting this process."""
    spec = _read_spec(directory)
    verify_files(directory, spec.get("sha256", {}))
    texts = _member_texts(directory, spec)
    source = spec["estimator"]
    if "arrays" in source:
        estimator = _load_arrays(directory, source)
    elif "member" in source and isolate:
        estimator = _text_members(directory, spec, texts)[source["member"]]
    else:
        if isolate:
            check_lightgbm_texts(
                [(str(directory / spec["members"][i]["file"]), t) for i, t in texts.items()],
                _booster_features(spec),
            )
        built = _lightgbm_members(directory, spec, texts) if spec["members"] else []
        if "member" in source:
            estimator = built[source["member"]]
        else:
            skeleton = _load_skops(directory / source["skops"])

            def fill(obj: Any) -> Any | None:
                return built[obj.index] if isinstance(obj, MemberSlot) else None

            estimator = _substitute(skeleton, fill, {})
    return FraudModel(
        kind=spec["kind"],
        estimator=estimator,
        features=spec["features"],
        params=_from_json(spec["params"]),
        threshold=spec["threshold"],
        name=spec["name"],
    )


def save_model(model: FraudModel, path: str | Path, *, overwrite: bool = False) -> Path:
    """Save ``model`` as a directory at ``path``, atomically (staged, then renamed into place).

    Parameters
    ----------
    model
        The fitted model.
    path
        The directory to write.
    overwrite
        Replace a model directory already there.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        When ``path`` is not empty and ``overwrite`` is false.
    """
    out = Path(path)
    check_target(out, overwrite, marker=SPEC_FILE)
    with staged_directory(out) as work:
        write_model(model, work)
    return out


def load_model(path: str | Path) -> FraudModel:
    """Load a model directory written by :func:`save_model`, refusing altered files.

    Parameters
    ----------
    path
        The model directory.

    Returns
    -------
    FraudModel
        The model.

    Raises
    ------
    ArtefactError
        For an altered, missing or unreadable file.
    """
    return read_model(Path(path))
