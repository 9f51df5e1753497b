"""personae.yml: the project's configuration as code."""

from personae.config.loader import CONFIG_FILE, load_config, parse_config
from personae.config.models import ProjectConfig
from personae.config.sources import SourceConfig

__all__ = ["CONFIG_FILE", "ProjectConfig", "SourceConfig", "load_config", "parse_config"]
