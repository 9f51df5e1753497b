"""A project: a folder with ``personae.yml``, its configuration and its warehouse engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from personae.config import ProjectConfig, load_config
from personae.config.engine import EngineConfig
from personae.engine import ENGINES, Engine, engine_names, open_engine
from personae.errors import ConfigError, ProjectError
from personae.protect.encryption import Keyring, load_master_key

STATE_DIR = ".personae"


@dataclass
class Project:
    """Everything a stage needs: where the project is, what it declares, and an engine."""

    root: Path
    config: ProjectConfig
    _engine: Engine | None = field(default=None, repr=False)
    _keys: Keyring | None = field(default=None, repr=False)

    @classmethod
    def load(cls, root: Path | str = ".", *, engine: str | None = None) -> Project:
        """Load the project at ``root``; ``engine`` (a name from
        :func:`personae.engine.engine_names`) overrides the engine ``personae.yml`` names,
        with that engine's default settings."""
        root = Path(root).resolve()
        config = load_config(root)
        if engine is not None and engine != config.engine.type:
            if engine not in engine_names():
                raise ProjectError(
                    f"--engine {engine}: no such engine; use one of {', '.join(engine_names())}"
                )
            chosen = TypeAdapter(EngineConfig).validate_python({"type": engine})
            config = config.model_copy(update={"engine": chosen})
        if config.protect.encryption and not ENGINES[config.engine.type].supports_encryption:
            raise ConfigError(
                f"encryption at rest is not supported on the {config.engine.type} engine "
                "yet; set protect.encryption: false, or use engine: {type: duckdb}",
                path="protect.encryption",
            )
        return cls(root=root, config=config)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.config.engine, self.root, keys=self.keys)
        return self._engine

    @property
    def keys(self) -> Keyring | None:
        """The keys of encryption at rest; None when ``protect.encryption`` is off."""
        if not self.config.protect.encryption:
            return None
        if self._keys is None:
            self._keys = load_master_key(self.root, self.config.protect.key_file)
        return self._keys

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def resolve_path(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / candidate

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
