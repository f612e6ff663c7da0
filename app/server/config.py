"""What a server is started with, the tokens it accepts, and the rule that guards its address."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import VerbatimError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerConfig:
    """Everything `verbatim serve` decides; the defaults suit one machine."""

    models: tuple[str, ...] = ("nar",)
    host: str = "127.0.0.1"
    port: int = 8000
    tokens: tuple[str, ...] = ()
    min_replicas: int = 1
    max_replicas: int = 1
    max_batch: int = 8
    batch_wait_s: float = 0.05
    device: str | None = None
    num_gpus: float = 0.0
    replica_cpus: float = 1.0
    max_upload_bytes: int = 2 << 30
    max_duration_s: float = 6 * 3600.0
    max_jobs_per_token: int = 4
    retention_s: float = 3600.0
    retries: int = 3
    work_dir: str = ""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def read_tokens(path: str | Path) -> tuple[str, ...]:
    """The tokens of a token file: one a line; blank lines and `#` comments are skipped."""
    p = Path(path).expanduser()
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VerbatimError(f"Cannot read the token file {p}: {getattr(exc, 'strerror', None) or exc}.") from None
    tokens = tuple(t.strip() for t in lines if t.strip() and not t.strip().startswith("#"))
    if not tokens:
        raise VerbatimError(f"The token file {p} holds no token; put one token per line.")
    if any(len(t) < 16 for t in tokens):
        raise VerbatimError(f"The token file {p} holds a token shorter than 16 characters; use long random tokens.")
    return tokens


def is_local(host: str) -> bool:
    """Whether `host` is a loopback address (only those may serve without a token)."""
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(config: ServerConfig) -> None:
    """Refuse to listen on anything but localhost without a token (one sentence)."""
    if not config.tokens and not is_local(config.host):
        raise VerbatimError(f"Refusing to listen on {config.host} without a token; pass --token-file, "
                            "or listen on 127.0.0.1.")


def token_owner(given: str | None, tokens: tuple[str, ...]) -> str | None:
    """The owner id (a digest, never the token) of a valid token, "local" when no tokens are set, else None.

    Every configured token is compared, each in constant time, so the answer's timing tells nothing.
    """
    if not tokens:
        return "local"
    if not given:
        return None
    found = None
    for token in tokens:
        if hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8")):
            found = token
    return hashlib.sha256(found.encode("utf-8")).hexdigest()[:16] if found is not None else None
