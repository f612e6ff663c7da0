"""Where the speech models live on this machine, and getting them there with progress, cancel and resume.

Plain Python (no Qt), shared by the first-run and Models dialogs and by `verbatim models download`.

- Models downloaded from the Hub live in the Hugging Face cache (the layout `registry.cached_folder` reads).
- A person may also point a model at a local folder (a copy made on another machine); that choice is kept
  in a small JSON file (`models.json` in the user config folder).
- `ModelStore.download(key, progress, cancel, source=None)` fetches a model from the Hub file by file, or,
  with `source=<folder>`, copies a model folder into the cache in 1 MiB chunks (offline machines and tests).
  Both report `DownloadProgress` and stop when the `CancelToken` is set. Resuming: files that are complete
  are never fetched again; a local copy also appends to a partly copied file. (huggingface_hub discards a
  partly downloaded file when a download stops, so a Hub download resumes at the file it was fetching.)
- `detect_hardware()` and `recommend(hardware)` (in `app.asr.models.hardware`) pick the model to suggest first.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from app.asr.catalog import first_run_models
from app.asr.engines.base import CancelToken
from app.asr.models.hardware import HardwareInfo, Recommendation, detect_hardware, format_bytes, memory_text, recommend
from app.asr.models.registry import (
    DOWNLOAD_PATTERNS,
    MODELS,
    ModelSpec,
    check_model_folder,
    default_config_path,
    find_spec,
    local_folder_choices,
)
from app.core.errors import Cancelled, ModelError, VerbatimError

__all__ = [  # the hardware names are re-exported: the dialogs take everything about models from here
    "FIRST_RUN_MODELS", "DownloadProgress", "HardwareInfo", "HubUnreachable", "ModelStatus", "ModelStore",
    "Recommendation", "detect_hardware", "format_bytes", "memory_text", "offline_help", "recommend",
]

# The models a person chooses between on first start: the catalog says which (4.0-1b stays for the CLI).
FIRST_RUN_MODELS = first_run_models()

CHUNK = 1 << 20
_STAGING = ".verbatim-partial"


class HubUnreachable(ModelError):
    """The Hugging Face Hub cannot be reached (offline, blocked, or offline mode on)."""


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Where a download stands: the current file and the whole model, in bytes."""

    file: str
    file_done: int
    file_total: int
    done: int
    total: int
    files_done: int
    files_total: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    def describe(self) -> str:
        """"model.safetensors (2 of 6 files): 1.2 GB of 4.7 GB, 25%"."""
        return (f"{self.file} ({min(self.files_done + 1, self.files_total)} of {self.files_total} files): "
                f"{format_bytes(self.done)} of {format_bytes(self.total)}, {int(self.fraction * 100)}%")


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One model on this machine: `state` is "ready", "partial" or "missing"; `where` is "cache" or "local"."""

    spec: ModelSpec
    state: str
    folder: Path | None
    size_bytes: int
    where: str | None = None


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under `folder` (symlinks are not followed: cache blobs count once)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if not os.path.islink(os.path.join(root, name)):
                total += st.st_size
    return total


def wanted_file(relative: str) -> bool:
    """Whether a model file is one Verbatim downloads (safetensors, configs, tokenizer; never pickles)."""
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, pattern) for pattern in DOWNLOAD_PATTERNS)


class ModelStore:
    """What is downloaded where, how much disk it uses, and getting, forgetting or deleting it."""

    def __init__(self, cache_dir: Path | None = None, config_path: Path | None = None) -> None:
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.config_path = Path(config_path) if config_path is not None else default_config_path()

    # ---- where ---------------------------------------------------------------------------------------

    @property
    def cache_dir(self) -> Path:
        if self._cache_dir is not None:
            return self._cache_dir
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)

    def repo_folder(self, spec: ModelSpec) -> Path:
        """The model's folder in the Hugging Face cache (models--org--name), whether or not it exists."""
        return self.cache_dir / ("models--" + spec.hub_id.replace("/", "--"))

    def local_folders(self) -> dict[str, Path]:
        """Model key -> a local folder the person chose instead of the cache."""
        return local_folder_choices(self.config_path)

    def set_local_folder(self, key: str, folder: Path | None) -> None:
        """Use `folder` for model `key` (checked first: ModelError if it is not that model); None forgets it."""
        spec = self.spec(key)
        folders = self.local_folders()
        if folder is None:
            folders.pop(spec.key, None)
        else:
            check_model_folder(Path(folder), expected_family=spec.family)
            folders[spec.key] = Path(folder).resolve()
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        try:  # keep whatever else the file holds (a newer Verbatim may keep more there)
            data = json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError):
            raise ModelError(f"{self.config_path} is damaged; move it away and choose the folder again.") from None
        if not isinstance(data, dict):
            raise ModelError(f"{self.config_path} is damaged; move it away and choose the folder again.")
        data["local_folders"] = {k: str(v) for k, v in sorted(folders.items())}
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.config_path)

    def spec(self, key: str) -> ModelSpec:
        spec = find_spec(key)
        if spec is None:
            raise ModelError(f"Unknown model '{key}': use one of {', '.join(MODELS)}.")
        return spec

    def model_argument(self, key: str) -> str:
        """What to hand to `resolve_model` / `create_engine`: the chosen local folder, or the key itself."""
        local = self.local_folders().get(self.spec(key).key)
        return str(local) if local is not None else self.spec(key).key

    # ---- what ----------------------------------------------------------------------------------------

    def cached_folder(self, spec: ModelSpec) -> Path | None:
        """The complete snapshot folder in the cache, or None (no network)."""
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(spec.hub_id, revision=spec.revision, cache_dir=str(self.cache_dir),
                                            local_files_only=True, allow_patterns=list(DOWNLOAD_PATTERNS)))
        except Exception:  # not cached, or partly cached
            return None
        return folder if (folder / "config.json").is_file() else None

    def status(self, key: str) -> ModelStatus:
        spec = self.spec(key)
        local = self.local_folders().get(spec.key)
        if local is not None and local.is_dir():
            return ModelStatus(spec, "ready", local, folder_size(local), "local")
        repo = self.repo_folder(spec)
        size = folder_size(repo) if repo.is_dir() else 0
        folder = self.cached_folder(spec) if repo.is_dir() else None
        if folder is not None:
            return ModelStatus(spec, "ready", folder, size, "cache")
        return ModelStatus(spec, "partial" if size > 0 else "missing", None, size, "cache" if size else None)

    def statuses(self, keys: Iterable[str] = FIRST_RUN_MODELS) -> list[ModelStatus]:
        return [self.status(key) for key in keys]

    def any_ready(self, keys: Iterable[str] = tuple(MODELS)) -> bool:
        """Whether at least one model can be used without downloading anything."""
        return any(self.status(key).state == "ready" for key in keys)

    def free_space(self) -> int:
        """Free bytes on the disk that holds the cache."""
        probe = self.cache_dir
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        return shutil.disk_usage(probe).free

    def delete(self, key: str) -> int:
        """Remove a model from the cache and forget its local folder (never deleting that folder); bytes freed."""
        spec = self.spec(key)
        if spec.key in self.local_folders():
            self.set_local_folder(spec.key, None)
        repo = self.repo_folder(spec)
        if not repo.is_dir():
            return 0
        freed = folder_size(repo)
        try:
            shutil.rmtree(repo)
        except OSError as exc:
            raise ModelError(f"Could not delete {spec.display_name} from {repo} ({exc.strerror or exc}).") from None
        return freed

    # ---- getting it ----------------------------------------------------------------------------------

    def download(self, key: str, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                 source: Path | None = None) -> Path:
        """Get a model into the cache and return its folder; Cancelled when `cancel` is set (resumable)."""
        spec = self.spec(key)
        if source is not None:
            return self._copy_from_folder(spec, Path(source), progress, cancel)
        return self._download_from_hub(spec, progress, cancel)

    def _download_from_hub(self, spec: ModelSpec, progress: ProgressCallback | None,
                           cancel: CancelToken | None) -> Path:
        from huggingface_hub import HfApi, constants, hf_hub_download, snapshot_download, try_to_load_from_cache
        from huggingface_hub.hf_api import RepoFile

        if constants.HF_HUB_OFFLINE:
            raise HubUnreachable(f"Cannot download {spec.display_name}: Hugging Face offline mode is on "
                             "(HF_HUB_OFFLINE); unset it, or copy the model from a folder.")
        cache = str(self.cache_dir)
        try:
            api = HfApi()
            commit = api.repo_info(spec.hub_id, revision=spec.revision).sha
            entries = [f for f in api.list_repo_tree(spec.hub_id, recursive=True, revision=commit)
                       if isinstance(f, RepoFile) and wanted_file(f.path)]
            total = sum(int(f.size or 0) for f in entries)
            done = 0
            for index, entry in enumerate(entries):
                size = int(entry.size or 0)
                if not isinstance(try_to_load_from_cache(spec.hub_id, entry.path, cache, commit), str):
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled("The download was cancelled; start it again to resume.")
                    bar = _bar_class(entry.path, size, done, total, (index, len(entries)), progress, cancel)
                    hf_hub_download(spec.hub_id, entry.path, revision=commit, cache_dir=cache, tqdm_class=bar)
                done += size
                if progress is not None:
                    progress(DownloadProgress(entry.path, size, size, done, total, index + 1, len(entries)))
            # Downloads nothing more: records the revision's ref and file list in the cache.
            folder = Path(snapshot_download(spec.hub_id, revision=spec.revision, cache_dir=cache,
                                            allow_patterns=list(DOWNLOAD_PATTERNS)))
        except (Cancelled, VerbatimError):
            raise
        except Exception as exc:
            raise _hub_error(spec, exc) from None
        check_model_folder(folder, expected_family=spec.family)
        return folder

    def _copy_from_folder(self, spec: ModelSpec, source: Path, progress: ProgressCallback | None,
                          cancel: CancelToken | None) -> Path:
        if not source.is_dir():
            raise ModelError(f"{source} is not a folder; choose the model folder that holds config.json.")
        check_model_folder(source, expected_family=spec.family)
        files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*")
                       if p.is_file() and wanted_file(p.relative_to(source).as_posix()))
        sizes = {name: (source / name).stat().st_size for name in files}
        commit = spec.revision or _folder_commit(sizes)
        repo = self.repo_folder(spec)
        # a stopped copy resumes only from the very same files: another folder with the same names and
        # sizes (a fine-tune, say) must not have its bytes appended to this one's
        origin = hashlib.sha1(usedforsecurity=False)
        origin.update(str(source.resolve()).encode())
        for name in files:
            origin.update(f"{name}\0{(source / name).stat().st_mtime_ns}\n".encode())
        staging = repo / _STAGING / f"{commit}-{origin.hexdigest()[:16]}"
        final = repo / "snapshots" / commit
        if (repo / _STAGING).is_dir():
            for other in (repo / _STAGING).iterdir():
                if other != staging:
                    shutil.rmtree(other, ignore_errors=True)
        staging.mkdir(parents=True, exist_ok=True)
        total = sum(sizes.values())
        have = {name: _kept_prefix(staging / name, sizes[name]) for name in files}
        done = sum(have.values())  # what an earlier, stopped copy left: resume from there
        if progress is not None and files:
            complete = sum(have[name] == sizes[name] for name in files)
            progress(DownloadProgress(files[0], have[files[0]], sizes[files[0]], done, total, complete, len(files)))
        for index, name in enumerate(files):
            done = _copy_resumable(source / name, staging / name, name, (have[name], sizes[name]), done, total,
                                   (index, len(files)), progress, cancel)
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
        shutil.rmtree(repo / _STAGING, ignore_errors=True)
        if spec.revision is None:
            (repo / "refs").mkdir(exist_ok=True)
            (repo / "refs" / "main").write_text(commit, encoding="utf-8")
        check_model_folder(final, expected_family=spec.family)
        return final


def _folder_commit(sizes: dict[str, int]) -> str:
    """A stable 40-hex name for a snapshot copied from a folder (its file names and sizes)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for name, size in sorted(sizes.items()):
        digest.update(f"{name}\0{size}\n".encode())
    return digest.hexdigest()


def _kept_prefix(dst: Path, size: int) -> int:
    """Bytes of `dst` kept for resuming (0 when missing; a file longer than `size` is not a prefix: removed)."""
    have = dst.stat().st_size if dst.exists() else 0
    if have > size:
        dst.unlink()
        return 0
    return have


def _copy_resumable(src: Path, dst: Path, name: str, sizes: tuple[int, int], done: int, total: int,
                    counts: tuple[int, int], progress: ProgressCallback | None, cancel: CancelToken | None) -> int:
    """Copy one file in chunks, appending to the `have` bytes already there; returns bytes done overall."""
    have, size = sizes
    index, count = counts
    if have == size:
        return done
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        with src.open("rb") as fin, dst.open("ab") as fout:
            fin.seek(have)
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled("The download was cancelled; start it again to resume.")
                chunk = fin.read(CHUNK)
                if not chunk:
                    break
                fout.write(chunk)
                have += len(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(DownloadProgress(name, have, size, done, total, index + (have == size), count))
    except OSError as exc:
        raise ModelError(f"Copying {name} failed ({exc.strerror or exc}); check the disk and try again.") from None
    return done


def _bar_class(name: str, size: int, base: int, total: int, counts: tuple[int, int],
               progress: ProgressCallback | None, cancel: CancelToken | None) -> type:
    """A tqdm class that huggingface_hub drives while fetching one file: forwards bytes, honours cancel."""
    from tqdm import tqdm

    class _Bar(tqdm):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.received = 0

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.cancelled:
                raise Cancelled("The download was cancelled; start it again to resume.")
            self.received = max(0, min(size, self.received + int(n or 0)))
            if progress is not None:
                progress(DownloadProgress(name, self.received, size, base + self.received, total, *counts))
            return None

    return _Bar


def _hub_error(spec: ModelSpec, exc: Exception) -> ModelError:
    """One sentence for a failed Hub download: offline, refused, or the first line of what went wrong."""
    kind = type(exc).__name__
    if any(word in kind for word in ("Connect", "Timeout", "Offline", "LocalEntryNotFound", "Proxy")):
        return HubUnreachable(
            f"{spec.display_name} cannot be downloaded because huggingface.co cannot be reached: copy its model "
            "folder (the one with config.json) from a computer that has it and use that folder instead "
            "(Models dialog: Use local folder; command line: --model FOLDER)."
        )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is not None:
        return ModelError(f"The Hugging Face Hub refused {spec.hub_id} (HTTP {status}); try again later.")
    first = (str(exc).strip().splitlines() or [kind])[0][:160]
    return ModelError(f"Downloading {spec.display_name} failed ({first}); start it again to resume.")


def offline_help(spec: ModelSpec) -> str:
    """What to do when the Hub cannot be reached, in words a person can follow."""
    return (
        f"{spec.display_name} cannot be downloaded because this computer cannot reach huggingface.co. "
        f"On a computer with internet access, run `verbatim models download {spec.key}` (or download "
        f"https://huggingface.co/{spec.hub_id}), copy the model folder (the one with config.json) to this "
        "computer (a USB stick works), then choose it with \"Copy from folder…\" to copy it into Verbatim's "
        "model store, or with \"Use local folder…\" to use it where it is. On the command line, pass the "
        "folder itself: verbatim transcribe --model FOLDER."
    )
