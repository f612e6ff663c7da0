"""The ingress deployment: the /v1 HTTP API (FastAPI) in front of the model deployments.

    GET    /v1/capabilities          the served models, languages, tasks and limits
    POST   /v1/jobs                  multipart: file + model, language, task, target, keywords -> {"id": ...}
    GET    /v1/jobs/{id}             state and progress (pieces done/total, audio seconds)
    GET    /v1/jobs/{id}/events      the same as a server-sent event stream, until the job ends
    DELETE /v1/jobs/{id}             cancel (the words so far stay in the result)
    GET    /v1/jobs/{id}/result      the project JSON (words, speakers, settings); the job is deleted after

Every endpoint answers 401 without a valid bearer token (when the server has tokens); 413 for an upload
over the size limit, 422 for a recording over the duration limit or bad options, 429 when a token already
runs its maximum of jobs. Errors are one sentence in `detail`. Jobs live in this replica (run one ingress).
"""


import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from ray import serve

from app.asr.engines.base import CancelToken, Engine, TranscribeOptions
from app.server.config import ServerConfig, token_owner
from app.server.jobs import FINISHED, Job, JobStore
from app.server.remote_models import DeploymentLoader, RetryPolicy

log = logging.getLogger(__name__)
api = FastAPI(title="Verbatim transcription server", version="1")


@serve.ingress(api)
class Ingress:
    """Takes uploads, runs jobs (engines whose models are the model deployments), answers the /v1 API."""

    def __init__(self, config: ServerConfig, served: list[dict[str, Any]], handles: dict[str, Any]) -> None:
        self.config = config
        self.served = {str(m["key"]): m for m in served}
        self.handles = handles
        self._facts: dict[str, dict[str, Any]] = {}
        root = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="verbatim-server-"))
        self.jobs = JobStore(root, self._engine, config.retention_s)

    # ---- engines --------------------------------------------------------------------------------------

    def _engine(self, key: str, cancel: CancelToken) -> Engine:
        """The engine of a served choice, built as the app builds it, with the deployments as its models."""
        from app.asr.catalog import resolve

        entry = self.served[key]
        choice, models = resolve(str(entry["name"]))
        for spec, _folder in models:
            if spec.key not in self._facts:
                self._facts[spec.key] = self.handles[spec.key].describe.remote().result()
        loader = DeploymentLoader(self.handles, self._facts, cancel, RetryPolicy(retries=self.config.retries))
        return choice.build(models, None, loader)

    # ---- helpers --------------------------------------------------------------------------------------

    def _owner(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else None
        owner = token_owner(given, self.config.tokens)
        if owner is None:
            raise HTTPException(401, "A valid token is needed: send the header 'Authorization: Bearer TOKEN'.")
        return owner

    def _job(self, request: Request, job_id: str) -> Job:
        owner = self._owner(request)
        job = self.jobs.get(job_id)
        if job is None or job.owner != owner:
            raise HTTPException(404, "No such job (it may have been fetched or expired).")
        return job

    # ---- the API --------------------------------------------------------------------------------------

    @api.get("/v1/capabilities")
    def capabilities(self, request: Request) -> dict[str, Any]:
        self._owner(request)
        models = [{k: v for k, v in m.items() if k != "name"} for m in self.served.values()]
        languages = sorted({lang for m in models for lang in m["capabilities"]["languages"]})
        translates = any(m["capabilities"]["translation_to_english"] or m["capabilities"]["translation_targets"]
                         for m in models)
        tasks = ["transcribe", "translate"] if translates else ["transcribe"]
        return {"api": "v1", "models": models, "languages": languages, "tasks": tasks,
                "keywords": any(m["capabilities"]["keywords"] for m in models),
                "limits": {"max_upload_bytes": self.config.max_upload_bytes,
                           "max_duration_s": self.config.max_duration_s,
                           "max_jobs_per_token": self.config.max_jobs_per_token,
                           "retention_s": self.config.retention_s}}

    @api.post("/v1/jobs")
    async def create(self, request: Request) -> JSONResponse:
        owner = self._owner(request)
        limit = self.config.max_upload_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + 64 * 1024:  # the form fields add a little
            raise HTTPException(413, f"The upload is larger than this server's limit of {limit} bytes.")
        if self.jobs.running(owner) >= self.config.max_jobs_per_token:
            raise HTTPException(429, f"This token already runs {self.config.max_jobs_per_token} jobs; "
                                "wait for one to finish.")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "Send the recording as the multipart field 'file'.")
        options, model = self._options(form)
        job_id, folder = self.jobs.new_folder()
        path = folder / ("upload" + Path(upload.filename or "").suffix.lower()[:8])
        size = 0
        with path.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        if size > limit:
            self._drop(folder)
            raise HTTPException(413, f"The upload is larger than this server's limit of {limit} bytes.")
        duration = await asyncio.to_thread(self._length, path, folder, Path(upload.filename or "upload").name)
        if duration > self.config.max_duration_s:
            self._drop(folder)
            raise HTTPException(422, f"The recording is {self._minutes(duration)} long; this server takes at most "
                                f"{self._minutes(self.config.max_duration_s)}.")
        job = Job(job_id, owner, model, options, folder, path, audio_total_s=duration)
        self.jobs.start(job)
        log.info("job %s: %s, %.1f s of audio", job_id, model, duration)
        return JSONResponse(job.status(), status_code=201)

    @api.get("/v1/jobs/{job_id}")
    def status(self, job_id: str, request: Request) -> dict[str, Any]:
        return self._job(request, job_id).status()

    @api.get("/v1/jobs/{job_id}/events")
    def events(self, job_id: str, request: Request) -> StreamingResponse:
        job = self._job(request, job_id)

        async def stream() -> AsyncIterator[str]:
            version = -1
            while True:
                if job.version != version:
                    version = job.version
                    yield f"data: {json.dumps(job.status())}\n\n"
                    if job.state in FINISHED:
                        return
                await asyncio.to_thread(self.jobs.wait_change, job, version, 1.0)

        return StreamingResponse(stream(), media_type="text/event-stream")

    @api.delete("/v1/jobs/{job_id}")
    def cancel(self, job_id: str, request: Request) -> dict[str, Any]:
        job = self._job(request, job_id)
        if job.state not in FINISHED:
            self.jobs.cancel(job)
        return job.status()

    @api.get("/v1/jobs/{job_id}/result")
    def result(self, job_id: str, request: Request) -> dict[str, Any]:
        job = self._job(request, job_id)
        if job.state not in FINISHED or job.result is None:
            raise HTTPException(409, "The job has not finished yet; wait for it (GET /v1/jobs/{id}).")
        out = dict(job.result)
        self.jobs.forget(job)  # kept only until fetched
        return out

    # ---- input checks ---------------------------------------------------------------------------------

    def _options(self, form: Any) -> tuple[TranscribeOptions, str]:
        model = str(form.get("model") or "")
        if not model and len(self.served) == 1:
            model = next(iter(self.served))
        if model not in self.served:
            raise HTTPException(422, f"This server does not serve '{model}'; it serves {', '.join(self.served)}.")
        keywords = tuple(dict.fromkeys(" ".join(k.split()) for k in str(form.get("keywords") or "").split(",")
                                       if k.strip()))
        try:
            batch = int(str(form.get("batch_size") or "8"))
        except ValueError:
            raise HTTPException(422, "batch_size must be a whole number.") from None
        options = TranscribeOptions(task=str(form.get("task") or "transcribe"),
                                    language=str(form.get("language") or "en"),
                                    target_language=str(form.get("target") or "") or None, keywords=keywords,
                                    punctuation=str(form.get("punctuation") or "true").lower() != "false",
                                    batch_size=min(max(batch, 1), 64))
        from app.asr.engines.base import validate_options
        from app.asr.engines.remote_engine import capabilities_from_json
        from app.core.errors import ModelError

        entry = self.served[model]
        try:
            validate_options(str(entry["label"]), capabilities_from_json(entry["capabilities"]), options)
        except ModelError as exc:
            raise HTTPException(422, str(exc)) from None
        return options, model


    # ---- upload checks (methods: Serve ships this class to its replica, module helpers may not follow) -----

    @staticmethod
    def _length(path: Path, folder: Path, name: str) -> float:
        """The recording's length in seconds (422 with one sentence, naming the client's file, when it is not a
        recording the app opens; the server's paths are not shown)."""
        import shutil

        from app.audio.decode import probe
        from app.core.errors import VerbatimError

        try:
            return float(probe(path).duration_s)
        except VerbatimError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise HTTPException(422, str(exc).replace(str(path), name).replace(path.name, name)) from None

    @staticmethod
    def _drop(folder: Path) -> None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _minutes(seconds: float) -> str:
        """210 -> "3.5 minutes", 240 -> "4 minutes"."""
        text = f"{seconds / 60:.1f}".removesuffix(".0")
        return f"{text} minute" + ("" if text == "1" else "s")
