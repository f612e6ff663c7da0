"""Jobs on the server: one recording transcribed with one served choice, in a thread of the ingress.

A job decodes its upload exactly as the app does (`app.audio.cache.load_audio`), builds the same engine the
app builds locally but with its models in deployments, and keeps the words of every finished step, so
progress, events and a partial result (after a cancel or a failure) are always at hand. The upload, the
decoded audio and the result are deleted when the result is fetched or when the retention time has
passed, whichever comes first. Nothing here logs transcript text.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.asr.engines.base import CancelToken, Engine, TranscribeOptions, validate_options
from app.core.document import Speaker, Transcript, Word
from app.core.errors import Cancelled, VerbatimError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


@dataclass
class Job:
    """One transcription job; `owner` is a digest of the token that made it (never the token itself)."""

    id: str
    owner: str
    model: str
    options: TranscribeOptions
    folder: Path
    upload: Path
    state: str = QUEUED
    pieces_done: int = 0
    pieces_total: int = 0
    audio_done_s: float = 0.0
    audio_total_s: float = 0.0
    error: str | None = None
    words: list[Word] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    result: dict[str, Any] | None = None
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    version: int = 0

    def status(self) -> dict[str, Any]:
        """The JSON of `GET /v1/jobs/{id}` (no transcript text)."""
        return {"id": self.id, "model": self.model, "state": self.state, "error": self.error,
                "progress": {"pieces_done": self.pieces_done, "pieces_total": self.pieces_total,
                             "audio_done_s": round(self.audio_done_s, 3),
                             "audio_total_s": round(self.audio_total_s, 3)},
                "words": len(self.words)}


EngineFactory = Callable[[str, CancelToken], Engine]
"""(served model key, the job's cancel token) -> an engine whose models are in deployments."""


class JobStore:
    """All jobs of this ingress replica, their threads, and their deletion after `retention_s`."""

    def __init__(self, root: Path, make_engine: EngineFactory, retention_s: float) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._make_engine = make_engine
        self.retention_s = retention_s
        self._jobs: dict[str, Job] = {}
        self._changed = threading.Condition()

    def new_folder(self) -> tuple[str, Path]:
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir()
        return job_id, folder

    def start(self, job: Job) -> None:
        self.expire()  # results nobody fetched go once their time is up, also when nobody asks for them
        with self._changed:
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), name=f"job-{job.id[:8]}", daemon=True).start()

    def get(self, job_id: str) -> Job | None:
        self.expire()
        with self._changed:
            return self._jobs.get(job_id)

    def running(self, owner: str) -> int:
        with self._changed:
            return sum(1 for j in self._jobs.values() if j.owner == owner and j.state not in FINISHED)

    def cancel(self, job: Job) -> None:
        job.cancel.cancel()
        self._touch(job)

    def wait_change(self, job: Job, version: int, timeout_s: float) -> int:
        """Block until the job changed after `version` (or the timeout); the new version."""
        with self._changed:
            self._changed.wait_for(lambda: job.version != version, timeout=timeout_s)
            return job.version

    def forget(self, job: Job) -> None:
        """Delete a job and everything it stored (audio, result)."""
        with self._changed:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)
        job.result = None
        job.words = []

    def expire(self) -> None:
        """Forget finished jobs older than the retention time."""
        now = time.monotonic()
        with self._changed:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.retention_s]
        for job in old:
            self.forget(job)

    def _touch(self, job: Job, **changes: Any) -> None:
        with self._changed:
            for name, value in changes.items():
                setattr(job, name, value)
            job.version += 1
            self._changed.notify_all()

    def _run(self, job: Job) -> None:
        from app.audio.cache import load_audio
        from app.core.project import Project, project_to_dict

        engine = None
        try:
            self._touch(job, state=RUNNING)
            audio = load_audio(job.upload, cache_dir=job.folder / "decoded")
            engine = self._make_engine(job.model, job.cancel)
            validate_options(engine.name, engine.capabilities, job.options)
            for update in engine.transcribe(audio.samples, job.options, job.cancel):
                p = update.progress
                with self._changed:
                    job.words.extend(update.words)
                    if update.speakers:
                        job.speakers = list(update.speakers)
                self._touch(job, pieces_done=p.pieces_done, pieces_total=p.pieces_total,
                            audio_done_s=p.audio_done_s, audio_total_s=p.audio_total_s)
            state = CANCELLED if job.cancel.cancelled else DONE
            error = None
        except Cancelled:
            state, error = CANCELLED, None
        except VerbatimError as exc:
            state, error = FAILED, str(exc)
        except Exception as exc:  # a bug: one sentence to the client, the type (never the text) in the log
            log.exception("job %s failed", job.id)
            state, error = FAILED, f"The server failed on this job ({type(exc).__name__})."
        settings = engine.settings(job.options) if engine is not None else None
        transcript = Transcript.from_words(job.words, job.speakers, job.options.keywords, settings)
        duration = int(round(job.audio_total_s * 1000))
        result = project_to_dict(Project(transcript, None, None, duration), None)
        log.info("job %s %s: %d words, %.1f s of audio", job.id, state, len(job.words), job.audio_total_s)
        self._touch(job, state=state, error=error, result=result, finished=time.monotonic())
        job.upload.unlink(missing_ok=True)  # the audio goes as soon as it is no longer needed
        shutil.rmtree(job.folder / "decoded", ignore_errors=True)
