"""The embedded model registry: a directory of saved models indexed by SQLite. Each model name
has versions 1, 2, ... with tags, a stage (none, staging, production, archived) and metadata
(features and catalogue hash, training scenario and data hash, parameters, metrics, library
versions). Every artefact file's sha256 is recorded and checked before anything is read back.

Layout::

    ROOT/registry.sqlite                  the index (WAL mode, busy timeout)
    ROOT/models/NAME/vVERSION/...         one saved model (see models._store)
"""

from __future__ import annotations

import builtins
import json
import math
import platform
import re
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from fraudforge.foundation.atomic import staged_directory
from fraudforge.foundation.errors import ModelError
from fraudforge.foundation.hashing import sha256_file
from fraudforge.models._store import ArtefactError, check_model, read_model, write_model
from fraudforge.models.artefact import FraudModel
from fraudforge.models.metric_registry import REGISTRY as METRIC_REGISTRY
from fraudforge.wire.reference import NAME_PATTERN, STAGES, ModelSpec

INDEX_FILE = "registry.sqlite"
MODELS_DIR = "models"
SCHEMA_VERSION = 1

HIGHER_IS_BETTER: dict[str, bool] = {m.name: m.higher_is_better for m in METRIC_REGISTRY}
"""Direction of the metrics ``best`` knows (``metric_registry``); others need
``higher_is_better``."""

LIBRARIES = ("fraudforge", "numpy", "polars", "scikit-learn", "lightgbm", "skops")

_NAME = re.compile(f"^{NAME_PATTERN}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT 'none',
    created_at TEXT NOT NULL,
    path TEXT NOT NULL,
    threshold REAL NOT NULL,
    features TEXT NOT NULL,
    catalog_hash TEXT NOT NULL,
    scenario TEXT,
    data_hash TEXT,
    params TEXT NOT NULL,
    metrics TEXT NOT NULL,
    libraries TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS tags (
    name TEXT NOT NULL, version INTEGER NOT NULL, tag TEXT NOT NULL,
    PRIMARY KEY (name, version, tag),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
CREATE TABLE IF NOT EXISTS files (
    name TEXT NOT NULL, version INTEGER NOT NULL, file TEXT NOT NULL,
    sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
    PRIMARY KEY (name, version, file),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
CREATE TABLE IF NOT EXISTS stage_history (
    name TEXT NOT NULL, version INTEGER NOT NULL, stage TEXT NOT NULL, at TEXT NOT NULL,
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
"""
_TRAINING_TABLE = """
CREATE TABLE IF NOT EXISTS training (
    name TEXT NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (name, version),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
)
"""
"""What a version was trained on (``models.provenance.TrainingRecord`` as JSON), when known.
Created by the first ``register`` that records one, so older registries (and older fraudforge
versions, which never read it) are unaffected."""


class RegistryError(ModelError):
    """A registry request that cannot be met: names what was asked for and what is allowed."""


class CatalogMismatchError(RegistryError):
    """A model trained on a different features catalogue than the current one; ``recorded`` and
    ``current`` are the two catalogue hashes.

    Parameters
    ----------
    message
        What was loaded and why it is refused.
    recorded
        The catalogue hash the model was trained with.
    current
        The current features catalogue's hash.
    """

    def __init__(self, message: str, *, recorded: str = "", current: str = "") -> None:
        super().__init__(message)
        self.recorded = recorded
        self.current = current


class RegistryIndexError(RegistryError):
    """The registry's SQLite index cannot be read or written (damaged, emptied, not a database,
    locked past the timeout, or on a failing disk); the message names the file, what SQLite
    said and how to recover."""


class ModelVersion(msgspec.Struct, kw_only=True, frozen=True):
    """One registered version of a model and its metadata."""

    name: str
    version: int
    kind: str
    stage: str
    created_at: str
    """UTC time of registration, ISO 8601."""
    path: str
    """The artefact directory, relative to the registry root."""
    threshold: float
    features: tuple[str, ...]
    """The exact (possibly selected) features the model reads, in its order."""
    catalog_hash: str
    """``fraudforge.features.pipeline.catalog_hash()`` of the catalogue it was trained on."""
    scenario: dict[str, Any] | None
    """The training data's Scenario (as a dict), when known."""
    data_hash: str | None
    """Content hash of the training dataset (its manifest's ``content_hash``), when known."""
    params: dict[str, Any]
    metrics: dict[str, Any]
    """The evaluation recorded at registration (an ``Evaluation`` as a dict, or any mapping)."""
    libraries: dict[str, str]
    """Python and library versions at registration."""
    description: str
    tags: tuple[str, ...]
    files: dict[str, str]
    """Artefact file name -> sha256."""

    def metric(self, name: str) -> float | None:
        """A recorded metric by name; dotted names reach into breakdowns
        (``by_fraud_type.card_testing.recall``). None when absent or not a number.

        Parameters
        ----------
        name
            A metric name such as ``roc_auc``, or a dotted path into a breakdown.

        Returns
        -------
        float or None
            Its recorded value.
        """
        value: Any = self.metrics
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return None
        return float(value)


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a model's behaviour depends on."""
    found = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            found[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            found[lib] = "not installed"
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _dumps(value: Any) -> str:
    return json.dumps(msgspec.to_builtins(value), sort_keys=True)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(
            f"invalid model name {name!r}: allowed are 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise RegistryError(f"unknown stage `{stage}`: allowed are {', '.join(STAGES)}")
    return stage


class Registry:
    """A model registry in the directory ``root``: created there when missing (or empty) unless
    ``create`` is false; a non-empty directory without an index is refused.

    Parameters
    ----------
    root
        The registry's directory.
    create
        Create the registry when the directory is missing or empty (else refuse).
    timeout
        Seconds to wait for another process's lock on the SQLite index.

    Raises
    ------
    RegistryError
        When ``root`` is not a registry and cannot become one (a non-empty directory without an
        index, or a missing one with ``create`` false).
    RegistryIndexError
        When the index is damaged or empty.
    """

    def __init__(self, root: str | Path, *, create: bool = True, timeout: float = 30.0) -> None:
        self.root = Path(root)
        self.timeout = timeout
        index = self.root / INDEX_FILE
        if not index.is_file():
            if self._has_models():
                raise RegistryIndexError(self._orphaned(f"has no index {INDEX_FILE}"))
            if not create:
                raise RegistryError(
                    f"no model registry at {self.root} (no {INDEX_FILE}); register a model "
                    "there first (fraudforge train --registry DIR) or pass the right directory"
                )
            if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
                raise RegistryError(
                    f"{self.root} is not a model registry and is not empty: allowed is an empty "
                    "or new directory, or an existing registry"
                )
            self.root.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if found not in (0, SCHEMA_VERSION):
                raise RegistryError(
                    f"{index} has schema version {found}: this fraudforge reads {SCHEMA_VERSION}"
                )
            if found == 0:
                # an index without tables: new, or emptied; never recreate one over model files
                # it does not list (the next registration would take their version numbers)
                if self._has_models():
                    raise RegistryIndexError(self._orphaned(f"has an empty index {INDEX_FILE}"))
                if not create:
                    raise RegistryIndexError(
                        f"{index} is empty (no tables): not a usable registry index; restore it "
                        "from a backup, or register a model there (fraudforge train --registry "
                        "DIR) to start a new registry"
                    )
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            else:
                db.execute("PRAGMA journal_mode=WAL")

    def _has_models(self) -> bool:
        models = self.root / MODELS_DIR
        return models.is_dir() and any(models.iterdir())

    def _orphaned(self, what: str) -> str:
        return (
            f"{self.root} {what} but holds model files ({self.root / MODELS_DIR}): the index "
            f"was lost or emptied. Restore {INDEX_FILE} from a backup (docs/production.md); to "
            f"start an empty registry instead, move {MODELS_DIR}/ out of {self.root} first. "
            "Refusing to create a new index over models it would not list"
        )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the index; any SQLite error in the block becomes one
        :class:`RegistryIndexError` naming the index file."""
        index = self.root / INDEX_FILE
        try:
            db = sqlite3.connect(index, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise RegistryIndexError(_index_message(index, exc)) from exc
        try:
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.Error as exc:
            raise RegistryIndexError(_index_message(index, exc)) from exc
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the registry's write lock up front (other writers wait
        up to ``timeout`` seconds), committed only if the block completes."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- writing -------------------------------------------------------------------------

    def register(
        self,
        model: FraudModel,
        *,
        name: str,
        metrics: Any = None,
        scenario: Any = None,
        data_hash: str | None = None,
        catalog_hash: str | None = None,
        tags: Iterable[str] = (),
        description: str = "",
        training: Any = None,
    ) -> ModelVersion:
        """Store ``model`` as the next version of ``name``. ``metrics`` is an ``Evaluation`` or a
        mapping; ``scenario`` a Scenario or mapping; ``catalog_hash`` defaults to the current
        features catalogue's; ``training`` (a ``TrainingRecord`` or mapping) records the periods
        the model was trained and validated on (read back with ``training``). The files are
        written and renamed into place before the index transaction commits, so a failure leaves
        neither a row nor a directory behind.

        Parameters
        ----------
        model
            The fitted model.
        name
            The model's name (letters, digits, ``.``, ``_`` and ``-``).
        metrics
            Its evaluation: an ``Evaluation`` or a mapping of metric to value.
        scenario
            The training data's Scenario (or a mapping).
        data_hash
            The training dataset's content hash.
        catalog_hash
            The features catalogue's hash (default: the current catalogue's).
        tags
            Tags to attach.
        description
            Free text.
        training
            The periods trained and validated on (a ``TrainingRecord`` or a mapping).

        Returns
        -------
        ModelVersion
            The new version, in stage ``none``.

        Raises
        ------
        RegistryError
            For an invalid name or tag, or a version directory the index does not list.
        """
        _check_name(name)
        tag_list = sorted({_check_tag(t) for t in tags})
        if catalog_hash is None:
            from fraudforge.features.pipeline import catalog_hash as current_catalog_hash

            catalog_hash = current_catalog_hash()
        scenario_dict = _as_dict(scenario, "scenario")
        metrics_dict = _as_dict(metrics, "metrics") or {}
        training_dict = _as_dict(training, "training")
        created = _now()
        with self._write() as db:
            last = db.execute("SELECT MAX(version) FROM versions WHERE name = ?", (name,))
            version = int(last.fetchone()[0] or 0) + 1
            rel = f"{MODELS_DIR}/{name}/v{version}"
            target = self.root / rel
            if target.exists() or target.is_symlink():
                # not in the index, so not the registry's to delete: left by a registration
                # that died before its commit, or by an index that lost its rows
                raise RegistryError(
                    f"{target} exists but the index does not list {name} v{version}: it was "
                    "left by an interrupted registration or the index lost it. Move it out of "
                    "the registry (or restore the index from a backup) and register again; "
                    "fraudforge never deletes files its index does not own"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with staged_directory(target) as work:
                    files = write_model(model, work)
                digests = {f: sha256_file(target / f) for f in files}
                db.execute(
                    "INSERT INTO versions (name, version, kind, stage, created_at, path, "
                    "threshold, features, catalog_hash, scenario, data_hash, params, metrics, "
                    "libraries, description) VALUES (?, ?, ?, 'none', ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?)",
                    (
                        name,
                        version,
                        model.kind,
                        created,
                        rel,
                        model.threshold,
                        _dumps(list(model.features)),
                        catalog_hash,
                        None if scenario_dict is None else _dumps(scenario_dict),
                        data_hash,
                        _dumps(model.params),
                        _dumps(metrics_dict),
                        _dumps(library_versions()),
                        description,
                    ),
                )
                db.executemany(
                    "INSERT INTO files (name, version, file, sha256, bytes) VALUES (?, ?, ?, ?, ?)",
                    [
                        (name, version, f, d, (target / f).stat().st_size)
                        for f, d in digests.items()
                    ],
                )
                db.executemany(
                    "INSERT INTO tags (name, version, tag) VALUES (?, ?, ?)",
                    [(name, version, t) for t in tag_list],
                )
                db.execute(
                    "INSERT INTO stage_history (name, version, stage, at) VALUES (?, ?, 'none', ?)",
                    (name, version, created),
                )
                if training_dict is not None:
                    db.execute(_TRAINING_TABLE)
                    db.execute(
                        "INSERT INTO training (name, version, record) VALUES (?, ?, ?)",
                        (name, version, _dumps(training_dict)),
                    )
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
        return self.show(name, version)

    def promote(self, name: str, version: int, stage: str) -> ModelVersion:
        """Move a version to ``stage``. Promoting to production archives the version that was in
        production before, so at most one version of a name is in production.

        Parameters
        ----------
        name
            The model's name.
        version
            The version to move.
        stage
            ``none``, ``staging``, ``production`` or ``archived``.

        Returns
        -------
        ModelVersion
            The version in its new stage.

        Raises
        ------
        RegistryError
            For an unknown name, version or stage, naming the known ones.
        """
        _check_stage(stage)
        with self._write() as db:
            self._require(db, name, version)
            at = _now()
            if stage == "production":
                previous = db.execute(
                    "SELECT version FROM versions WHERE name = ? AND stage = 'production' "
                    "AND version != ?",
                    (name, version),
                ).fetchall()
                for (old,) in previous:
                    db.execute(
                        "UPDATE versions SET stage = 'archived' WHERE name = ? AND version = ?",
                        (name, old),
                    )
                    db.execute(
                        "INSERT INTO stage_history VALUES (?, ?, 'archived', ?)", (name, old, at)
                    )
            db.execute(
                "UPDATE versions SET stage = ? WHERE name = ? AND version = ?",
                (stage, name, version),
            )
            db.execute("INSERT INTO stage_history VALUES (?, ?, ?, ?)", (name, version, stage, at))
        return self.show(name, version)

    def tag(self, name: str, version: int, *tags: str) -> ModelVersion:
        """Add tags to a version (tags already there are kept).

        Parameters
        ----------
        name
            The model's name.
        version
            The version to tag.
        *tags
            Non-empty strings of at most 100 characters.

        Returns
        -------
        ModelVersion
            The version with its tags.

        Raises
        ------
        RegistryError
            For an unknown name or version, or an invalid tag.
        """
        checked = sorted({_check_tag(t) for t in tags})
        with self._write() as db:
            self._require(db, name, version)
            db.executemany(
                "INSERT OR IGNORE INTO tags (name, version, tag) VALUES (?, ?, ?)",
                [(name, version, t) for t in checked],
            )
        return self.show(name, version)

    # --- reading -------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every registered model name, sorted."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT name FROM versions ORDER BY name").fetchall()
        return [r[0] for r in rows]

    def list(
        self, name: str | None = None, *, stage: str | None = None, tag: str | None = None
    ) -> list[ModelVersion]:
        """Registered versions (all, or of one name / in one stage / with one tag), by name
        then version.

        Parameters
        ----------
        name
            Only this model's versions (default: every model's).
        stage
            Only versions in this stage.
        tag
            Only versions with this tag.

        Returns
        -------
        list[ModelVersion]
            The matching versions; empty when none match.
        """
        where, args = [], []
        if name is not None:
            self._require_name(name)
            where.append("v.name = ?")
            args.append(name)
        if stage is not None:
            where.append("v.stage = ?")
            args.append(_check_stage(stage))
        if tag is not None:
            where.append("EXISTS (SELECT 1 FROM tags t WHERE t.name = v.name "
                         "AND t.version = v.version AND t.tag = ?)")  # fmt: skip
            args.append(tag)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT v.name, v.version FROM versions v {clause} ORDER BY v.name, v.version",
                args,
            ).fetchall()
            return [self._version(db, n, v) for n, v in rows]

    def show(
        self, name: str, version: int | None = None, *, stage: str | None = None
    ) -> ModelVersion:
        """One version: the given one, else the newest in ``stage``, else (the name alone) the
        production version if one is promoted, else the newest (``wire.reference``).

        Parameters
        ----------
        name
            The model's name.
        version
            The version (default: as the stage or the name alone picks it).
        stage
            The stage whose newest version is wanted.

        Returns
        -------
        ModelVersion
            The version's record.

        Raises
        ------
        RegistryError
            For an unknown name, version or stage, naming the known ones.
        """
        with self._connect() as db:
            return self._version(db, name, self._resolve(db, name, version, stage))

    def resolve(self, ref: ModelSpec | str) -> ModelVersion:
        """The version a model reference names (``NAME``, ``NAME:VERSION`` or ``NAME@STAGE``,
        parsed by ``ModelSpec.parse``; a bare name as ``show`` reads it).

        Parameters
        ----------
        ref
            A reference string or a parsed ``ModelSpec``.

        Returns
        -------
        ModelVersion
            The version it names.

        Raises
        ------
        ModelRefError
            For a string that is not a model reference.
        RegistryError
            For an unknown name, version or stage.
        """
        spec = ModelSpec.parse(ref) if isinstance(ref, str) else ref
        return self.show(spec.name, spec.version, stage=spec.stage)

    def training(self, name: str, version: int) -> dict[str, Any] | None:
        """The training record of a version (``models.provenance.read_training_record`` reads
        it), or None when it was registered without one.

        Parameters
        ----------
        name
            The model's name.
        version
            The version.

        Returns
        -------
        dict or None
            The training record as stored.

        Raises
        ------
        RegistryError
            For an unknown name, version or stage, naming the known ones.
        """
        with self._connect() as db:
            self._require(db, name, version)
            table = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'training'"
            ).fetchone()
            if table is None:
                return None
            row = db.execute(
                "SELECT record FROM training WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def history(self, name: str, version: int) -> builtins.list[tuple[str, str]]:
        """A version's stage changes as (stage, UTC time), oldest first.

        Parameters
        ----------
        name
            The model's name.
        version
            The version.

        Returns
        -------
        list[tuple[str, str]]
            Each stage it entered and when (ISO 8601, UTC).

        Raises
        ------
        RegistryError
            For an unknown name, version or stage, naming the known ones.
        """
        with self._connect() as db:
            self._require(db, name, version)
            rows = db.execute(
                "SELECT stage, at FROM stage_history WHERE name = ? AND version = ? ORDER BY rowid",
                (name, version),
            ).fetchall()
        return [(s, a) for s, a in rows]

    def load(
        self,
        name: str,
        version: int | None = None,
        *,
        stage: str | None = None,
        check_catalog: bool = False,
        isolate: bool = False,
    ) -> FraudModel:
        """The model of one version (as ``show`` picks it). Its directory must resolve inside the
        registry, and every file's sha256 is checked against the index before it is read; an
        altered, missing or extra file is refused. With ``check_catalog``, a model trained on
        another features catalogue is refused too; with ``isolate``, its LightGBM files are
        first read in a child process, so a malformed one is refused instead of aborting this
        process (LightGBM aborts on some damaged models).

        Parameters
        ----------
        name
            The model's name.
        version
            The version (default: as ``show`` picks it).
        stage
            The stage whose newest version is wanted.
        check_catalog
            Refuse a model trained on another features catalogue.
        isolate
            Read its LightGBM files in a child process first.

        Returns
        -------
        FraudModel
            The model, ready to score.

        Raises
        ------
        RegistryError
            For an unknown name, version or stage.
        ArtefactError
            For an altered, missing or extra file, or a directory outside the registry.
        CatalogMismatchError
            With ``check_catalog``, for a model of another catalogue.
        """
        info = self.show(name, version, stage=stage)
        if check_catalog:
            check_catalog_hash(info)
        directory = self._checked_directory(info)
        model = read_model(directory, isolate=isolate)
        model.name = name
        return model

    def check(
        self, name: str, version: int | None = None, *, stage: str | None = None
    ) -> ModelVersion:
        """Everything ``load(..., check_catalog=True, isolate=True)`` checks, without loading the
        model in this process: the version exists, its catalogue hash is the current one, its
        directory stays inside the registry, its files match the index's sha256, and LightGBM
        reads each of its LightGBM files in a child process. Returns the version.

        Parameters
        ----------
        name
            The model's name.
        version
            The version (default: as ``show`` picks it).
        stage
            The stage whose newest version is wanted.

        Returns
        -------
        ModelVersion
            The version checked.

        Raises
        ------
        RegistryError, ArtefactError, CatalogMismatchError
            As ``load(..., check_catalog=True, isolate=True)`` does.
        """
        info = self.show(name, version, stage=stage)
        check_catalog_hash(info)
        check_model(self._checked_directory(info))
        return info

    def artefact_directory(self, info: ModelVersion) -> Path:
        """The directory of ``info``'s files, refused unless it resolves (symbolic links
        followed) to a directory inside this registry's ``models/``.

        Parameters
        ----------
        info
            A version of this registry.

        Returns
        -------
        pathlib.Path
            Its resolved directory.

        Raises
        ------
        ArtefactError
            When the directory is gone or resolves outside ``models/``.
        """
        models = (self.root / MODELS_DIR).resolve()
        directory = (self.root / info.path).resolve()
        if not directory.is_relative_to(models) or directory == models:
            raise ArtefactError(
                f"{info.name} v{info.version}: the index's path {info.path!r} resolves to "
                f"{directory}, outside the registry's {models}: the index was altered; "
                "refusing to read it"
            )
        return directory

    def _checked_directory(self, info: ModelVersion) -> Path:
        """``artefact_directory`` with exactly the files the index lists, each with its
        recorded sha256."""
        name = info.name
        directory = self.artefact_directory(info)
        if not directory.is_dir():
            raise ArtefactError(f"{name} v{info.version}: artefact directory {directory} is gone")
        present = {p.name for p in directory.iterdir()}
        extra = sorted(present - set(info.files))
        if extra:
            raise ArtefactError(
                f"{name} v{info.version}: unexpected file(s) {', '.join(extra)} in {directory}: "
                "the artefact was altered; refusing to load"
            )
        for file, digest in sorted(info.files.items()):
            path = directory / file
            if not path.is_file():
                raise ArtefactError(f"{name} v{info.version}: {path} is missing; refusing to load")
            actual = sha256_file(path)
            if actual != digest:
                raise ArtefactError(
                    f"{name} v{info.version}: {path} has sha256 {actual}, the registry recorded "
                    f"{digest}: it was altered or corrupted; refusing to load"
                )
        return directory

    def best(
        self,
        name: str,
        metric: str,
        *,
        higher_is_better: bool | None = None,
        stage: str | None = None,
    ) -> ModelVersion:
        """The version of ``name`` (optionally within ``stage``) with the best recorded
        ``metric``; the newer version wins a tie. Versions without the metric are skipped.

        Parameters
        ----------
        name
            The model's name.
        metric
            A recorded metric (dotted names reach into breakdowns; see ``ModelVersion.metric``).
        higher_is_better
            The metric's direction (default: the metric registry's).
        stage
            Only versions in this stage.

        Returns
        -------
        ModelVersion
            The best version.

        Raises
        ------
        RegistryError
            For an unknown name, or when no version has the metric.
        """
        leaf = metric.rsplit(".", 1)[-1]
        if higher_is_better is None:
            if leaf not in HIGHER_IS_BETTER:
                raise RegistryError(
                    f"no known direction for metric `{metric}`: pass higher_is_better, or use "
                    f"one of {', '.join(HIGHER_IS_BETTER)}"
                )
            higher_is_better = HIGHER_IS_BETTER[leaf]
        candidates = [
            (value, v)
            for v in self.list(name, stage=stage)
            if (value := v.metric(metric)) is not None
        ]
        if not candidates:
            where = f" in stage {stage}" if stage else ""
            raise RegistryError(f"no version of {name}{where} has a recorded `{metric}`")
        sign = 1.0 if higher_is_better else -1.0
        return max(candidates, key=lambda c: (sign * c[0], c[1].version))[1]

    # --- internals -----------------------------------------------------------------------

    def _require_name(self, name: str) -> None:
        with self._connect() as db:
            found = db.execute("SELECT 1 FROM versions WHERE name = ? LIMIT 1", (name,)).fetchone()
        if found is None:
            raise RegistryError(_unknown_name(name, self.names()))

    def _require(self, db: sqlite3.Connection, name: str, version: int) -> None:
        versions = [
            r[0]
            for r in db.execute(
                "SELECT version FROM versions WHERE name = ? ORDER BY version", (name,)
            )
        ]
        if not versions:
            known = [r[0] for r in db.execute("SELECT DISTINCT name FROM versions ORDER BY name")]
            raise RegistryError(_unknown_name(name, known))
        if version not in versions:
            raise RegistryError(
                f"model {name} has no version {version}: allowed are {_ranges(versions)}"
            )

    def _resolve(
        self, db: sqlite3.Connection, name: str, version: int | None, stage: str | None
    ) -> int:
        if version is not None:
            self._require(db, name, version)
            return version
        query = "SELECT MAX(version) FROM versions WHERE name = ?"
        args: list[Any] = [name]
        if stage is not None:
            query += " AND stage = ?"
            args.append(_check_stage(stage))
        else:
            production = db.execute(query + " AND stage = 'production'", args).fetchone()[0]
            if production is not None:
                return int(production)
        found = db.execute(query, args).fetchone()[0]
        if found is None:
            exists = db.execute("SELECT 1 FROM versions WHERE name = ? LIMIT 1", (name,))
            if exists.fetchone() is None:
                known = [r[0] for r in db.execute("SELECT DISTINCT name FROM versions")]
                raise RegistryError(_unknown_name(name, sorted(known)))
            raise RegistryError(f"model {name} has no version in stage {stage}")
        return int(found)

    def _version(self, db: sqlite3.Connection, name: str, version: int) -> ModelVersion:
        row = db.execute(
            "SELECT kind, stage, created_at, path, threshold, features, catalog_hash, scenario, "
            "data_hash, params, metrics, libraries, description FROM versions "
            "WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        tags = [r[0] for r in db.execute(
            "SELECT tag FROM tags WHERE name = ? AND version = ? ORDER BY tag", (name, version)
        )]  # fmt: skip
        files = dict(
            db.execute(
                "SELECT file, sha256 FROM files WHERE name = ? AND version = ? ORDER BY file",
                (name, version),
            ).fetchall()
        )
        return ModelVersion(
            name=name,
            version=version,
            kind=row[0],
            stage=row[1],
            created_at=row[2],
            path=row[3],
            threshold=row[4],
            features=tuple(json.loads(row[5])),
            catalog_hash=row[6],
            scenario=None if row[7] is None else json.loads(row[7]),
            data_hash=row[8],
            params=json.loads(row[9]),
            metrics=json.loads(row[10]),
            libraries=json.loads(row[11]),
            description=row[12],
            tags=tuple(tags),
            files=files,
        )


def check_catalog_hash(info: ModelVersion) -> None:
    """Refuse a version trained on another features catalogue than the current one."""
    from fraudforge.features.pipeline import catalog_hash

    current = catalog_hash()
    if info.catalog_hash != current:
        raise CatalogMismatchError(
            f"{info.name} v{info.version} was trained on features catalogue "
            f"{info.catalog_hash}, the current catalogue is {current}: its features mean "
            "something else now; retrain it on current features",
            recorded=info.catalog_hash,
            current=current,
        )


def _index_message(index: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        hint = "another process holds it; retry, or stop the process that writes it"
    else:
        hint = "the index is damaged: restore it from a backup (docs/production.md)"
    return f"model registry index {index} cannot be used (SQLite: {text}): {hint}"


def _check_tag(tag: str) -> str:
    if not isinstance(tag, str) or not tag.strip() or len(tag) > 100:
        raise RegistryError(f"invalid tag {tag!r}: allowed is a non-empty string of <= 100 chars")
    return tag.strip()


def _as_dict(value: Any, what: str) -> dict[str, Any] | None:
    """A Struct, Scenario or mapping as a plain dict (None stays None)."""
    if value is None:
        return None
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    built = msgspec.to_builtins(value)
    if not isinstance(built, dict):
        raise RegistryError(
            f"`{what}` must be a mapping or a msgspec Struct; got {type(value).__name__}"
        )
    return built


def _unknown_name(name: str, known: Sequence[str]) -> str:
    allowed = ", ".join(known) if known else "none (the registry is empty)"
    return f"unknown model `{name}`: registered are {allowed}"


def _ranges(versions: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1-3, 5``."""
    parts: list[str] = []
    start = prev = versions[0]
    for v in [*versions[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)
