"""`RemoteEngine`: transcribing on a Verbatim transcription server (`verbatim serve`) over its /v1 HTTP API.

It behaves like every other engine (options, progress, cancel) but sends the recording to the server:
the CLI (`verbatim transcribe --server URL`) and the window use it only when a person chose a server. Plain
standard-library HTTP (no Ray, no torch). The server address and token the window uses are kept in
`server.json` in the user config folder (readable by the user only).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.asr.engines.base import CancelToken, Capabilities, EngineUpdate, Progress, TranscribeOptions
from app.core.document import Speaker, TranscriptionSettings, Word
from app.core.errors import ModelError, VerbatimError

TOKEN_ENV = "VERBATIM_SERVER_TOKEN"
POLL_S = 0.5


@dataclass(frozen=True)
class ServerAddress:
    """Where a transcription server is and the token that opens it ("" when it needs none)."""

    url: str
    token: str = ""


def capabilities_to_json(caps: Capabilities) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(caps).items()}


def capabilities_from_json(data: object) -> Capabilities:
    """Capabilities from a server's JSON; unknown or malformed fields fall back to "cannot"."""
    d = data if isinstance(data, Mapping) else {}
    langs = d.get("languages")
    targets = d.get("translation_targets")
    return Capabilities(
        languages=tuple(str(x) for x in langs) if isinstance(langs, list) else ("en",),
        translation_targets=tuple(str(x) for x in targets) if isinstance(targets, list) else (),
        **{k: bool(d.get(k, False)) for k in ("translation_to_english", "keywords", "punctuation", "timestamps",
                                              "speakers")},
    )


class ServerClient:
    """The /v1 API: every call raises VerbatimError with one sentence when the server says no or is away."""

    def __init__(self, address: ServerAddress, timeout_s: float = 30.0) -> None:
        self.address = ServerAddress(address.url.rstrip("/"), address.token)
        self.timeout_s = timeout_s

    def _request(self, method: str, path: str, body: bytes | None = None,
                 content_type: str | None = None) -> Any:
        req = urllib.request.Request(self.address.url + path, data=body, method=method)
        if self.address.token:
            req.add_header("Authorization", f"Bearer {self.address.token}")
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise VerbatimError(f"The server said no ({exc.code}): {_detail(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise VerbatimError(f"Cannot reach the transcription server at {self.address.url} ({reason}).") from None

    def capabilities(self) -> dict[str, Any]:
        return dict(self._request("GET", "/v1/capabilities"))

    def submit(self, media: Path, model: str, options: TranscribeOptions) -> str:
        """Upload a recording for `model`; the job id. A file over the server's size limit is not sent."""
        limit = (self.capabilities().get("limits") or {}).get("max_upload_bytes")
        size = media.stat().st_size
        if isinstance(limit, int) and size > limit:
            raise VerbatimError(f"{media.name} ({size} bytes) is larger than the server's limit of {limit} bytes.")
        fields = {"model": model, "task": options.task, "language": options.language,
                  "target": options.target_language or "", "keywords": ", ".join(options.keywords),
                  "punctuation": "true" if options.punctuation else "false", "batch_size": str(options.batch_size)}
        body, content_type = _multipart(fields, media)
        return str(self._request("POST", "/v1/jobs", body, content_type)["id"])

    def status(self, job_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/v1/jobs/{job_id}"))

    def result(self, job_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/v1/jobs/{job_id}/result"))

    def cancel(self, job_id: str) -> None:
        self._request("DELETE", f"/v1/jobs/{job_id}")


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("detail")
    except (ValueError, AttributeError, OSError):
        detail = None
    return str(detail or exc.reason)


def _multipart(fields: Mapping[str, str], media: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    filename = media.name.replace('"', "_")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode())
    parts.append(media.read_bytes())
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def words_from_result(result: Mapping[str, Any]) -> tuple[list[Word], list[Speaker], TranscriptionSettings]:
    """The words, speakers and settings of a server result (the project JSON, checked like a project file)."""
    from app.core.project import project_from_dict

    project = project_from_dict(result, None)
    doc = project.transcript
    return list(doc.words), list(doc.speakers), doc.settings


class RemoteEngine:
    """An engine on a server: `RemoteEngine(address, model)` where `model` is the server's key for it.

    `transcribe_file` sends a recording as it is; `transcribe` (the Engine interface) sends the app's
    16 kHz samples as a WAV file, which the server decodes to the same samples.
    """

    def __init__(self, address: ServerAddress, model: str, client: ServerClient | None = None) -> None:
        self.client = client or ServerClient(address)
        served = {str(m.get("key")): m for m in self.client.capabilities().get("models", [])}
        if model not in served:
            known = ", ".join(served) or "none"
            raise ModelError(f"The server at {address.url} does not serve '{model}'; it serves {known}.")
        self.model = model
        self.name = f"{served[model].get('label', model)} on {address.url}"
        self.capabilities = capabilities_from_json(served[model].get("capabilities"))
        self._settings: TranscriptionSettings | None = None

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        if self._settings is not None:
            return self._settings
        return TranscriptionSettings(self.name, "", options.language, options.task, options.target_language, "server")

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions,
                   cancel: CancelToken | None = None) -> Iterator[EngineUpdate]:
        import tempfile

        import soundfile

        with tempfile.TemporaryDirectory(prefix="verbatim-upload-") as folder:
            wav = Path(folder) / "audio.wav"
            soundfile.write(str(wav), np.asarray(audio, dtype=np.float32), 16_000, subtype="FLOAT")
            yield from self.transcribe_file(wav, options, cancel)

    def transcribe_file(self, media: Path, options: TranscribeOptions,
                        cancel: CancelToken | None = None) -> Iterator[EngineUpdate]:
        """Upload `media`, follow the job, and yield its words once the server has them (all, or the partial
        result after a cancel or a failure)."""
        job = self.client.submit(media, self.model, options)
        status = self.client.status(job)
        while status["state"] in ("queued", "running"):
            if cancel is not None and cancel.cancelled:
                self.client.cancel(job)
            yield EngineUpdate(_progress(status))
            time.sleep(POLL_S)
            status = self.client.status(job)
        words, speakers, self._settings = words_from_result(self.client.result(job))
        yield EngineUpdate(_progress(status), tuple(words), tuple(speakers))
        if status["state"] == "failed":  # the words done so far were yielded above
            raise ModelError(str(status.get("error") or "The server could not transcribe this recording."))


def _progress(status: Mapping[str, Any]) -> Progress:
    p = status.get("progress") or {}
    return Progress(int(p.get("pieces_done", 0)), int(p.get("pieces_total", 0)), float(p.get("audio_done_s", 0.0)),
                    float(p.get("audio_total_s", 0.0)))


# ---- the window's saved server, and the catalog's remote choices ------------------------------------------

def settings_path() -> Path:
    from app.asr.models.registry import default_config_path

    return default_config_path().with_name("server.json")


def load_address() -> ServerAddress | None:
    """The server the person set in Settings > Transcription server, or None."""
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("url", "")).strip():
        return None
    return ServerAddress(str(data["url"]).strip(), str(data.get("token", "")))


def save_address(address: ServerAddress | None) -> None:
    """Keep (or with None, forget) the server address and token; the file is readable by this user only."""
    path = settings_path()
    if address is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": address.url, "token": address.token}, f)
    os.replace(tmp, path)


def build_remote(url: str, model: str, token: str | None = None) -> Any:
    """A catalog builder for one server model (the device and local models do not apply)."""
    def build(models: Any, device: str | None, loader: Any = None) -> RemoteEngine:
        saved = load_address()
        given = token if token is not None else (saved.token if saved and saved.url == url else "")
        return RemoteEngine(ServerAddress(url, given or os.environ.get(TOKEN_ENV, "")), model)

    return build


def saved_server_model(model: str) -> tuple[ServerAddress, dict[str, Any]]:
    """The saved server and its /v1/capabilities entry for `model` (one sentence when either is missing)."""
    address = load_address()
    if address is None:
        raise ModelError("No transcription server is set; set one in Settings > Transcription server.")
    served = {str(m.get("key")): m for m in ServerClient(address).capabilities().get("models", [])}
    if model not in served:
        raise ModelError(f"The server at {address.url} does not serve '{model}'.")
    return address, dict(served[model])
