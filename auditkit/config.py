"""Settings from AUDITKIT_* environment variables, in one typed class."""

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"AUDITKIT_{name}", default)


def default_instance_dir() -> Path:
    return Path(_env("INSTANCE_DIR") or Path.cwd() / "instance").resolve()


@dataclass
class Config:
    instance_dir: Path = field(default_factory=default_instance_dir)
    database_url: str = ""
    secret_key: str = ""
    storage_dir: Path | None = None
    base_url: str = ""
    ratelimit_storage_url: str = "memory://"
    behind_proxy: bool = False
    max_upload_bytes: int = 25 * 1024 * 1024
    testing: bool = False

    def __post_init__(self) -> None:
        self.instance_dir = Path(self.instance_dir)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.instance_dir / 'auditkit.sqlite3'}"
        if self.storage_dir is None:
            self.storage_dir = self.instance_dir / "storage"
        self.storage_dir = Path(self.storage_dir)

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        values: dict = {}
        for f in fields(cls):
            raw = _env(f.name.upper())
            if raw is None:
                continue
            if f.name in ("behind_proxy", "testing"):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif f.name == "max_upload_bytes":
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    def ensure_secret_key(self) -> str:
        """Use AUDITKIT_SECRET_KEY, else a key kept in the instance folder (created once)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.instance_dir / "secret_key"
        if not key_file.exists():
            self.instance_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        self.secret_key = key_file.read_text().strip()
        return self.secret_key
