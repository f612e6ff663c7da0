"""Putting the server together: which choices are served, one deployment per model, the ingress, start and stop.

`served_choices(names)` turns `--models 2b,plus,nar,interview` (catalog keys or local model folders) into
the entries `/v1/capabilities` lists; `build_application(config)` binds one `ModelWorker` deployment per
model those choices need (the interview pipeline shares the 2b and plus deployments) and the ingress;
`start(config, address)` joins or starts a Ray cluster and runs it; `stop()` shuts it all down.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ray import serve

from app.asr.catalog import find, resolve
from app.asr.engines.remote_engine import capabilities_to_json
from app.core.errors import ModelError
from app.server.config import ServerConfig, check_address
from app.server.ingress import Ingress
from app.server.model_deployment import ModelWorker

APP_NAME = "verbatim"


def served_choices(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """One entry per served choice: key, label, description, capabilities, and the models it needs."""
    out: list[dict[str, Any]] = []
    for name in names:
        choice, models = resolve(name)  # every model must be on this machine: ModelError otherwise
        local_folder = find(name) is None
        key = Path(name).expanduser().name if local_folder else choice.key
        label = key if local_folder else choice.label
        out.append({"key": key, "name": name, "label": label, "description": choice.description,
                    "capabilities": capabilities_to_json(choice.capabilities),
                    "models": [spec.key for spec, _ in models]})
    keys = [e["key"] for e in out]
    if len(set(keys)) != len(keys):
        raise ModelError("Two served models have the same name; rename one of the folders.")
    return out


def _deployment_name(model_key: str) -> str:
    return "model-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model_key).name or model_key)


def build_application(config: ServerConfig, served: list[dict[str, Any]]) -> Any:
    """The bound Serve application: the ingress with a handle to one deployment per needed model."""
    handles: dict[str, Any] = {}
    for entry in served:
        for key in entry["models"]:
            if key in handles:
                continue
            scaling: dict[str, Any] = {"num_replicas": config.min_replicas}
            if config.max_replicas > config.min_replicas:
                scaling = {"autoscaling_config": {"min_replicas": config.min_replicas,
                                                  "max_replicas": config.max_replicas,
                                                  "target_ongoing_requests": max(config.max_batch, 1)}}
            deployment: Any = serve.deployment(
                ModelWorker, name=_deployment_name(key),
                ray_actor_options={"num_cpus": config.replica_cpus, "num_gpus": config.num_gpus},
                max_ongoing_requests=max(4 * config.max_batch, 16), health_check_period_s=2.0,
                graceful_shutdown_timeout_s=2.0, **scaling,
            )
            handles[key] = deployment.bind(key, config.device, config.max_batch, config.batch_wait_s)
    ingress: Any = serve.deployment(Ingress, name="ingress", num_replicas=1, ray_actor_options={"num_cpus": 0},
                               max_ongoing_requests=1000)
    return ingress.bind(config, served, handles)


def start(config: ServerConfig, address: str | None = None, num_cpus: int | None = None,
          runtime_env: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Start (or join, with `address="auto"`) a Ray cluster and run the server on it; the served entries."""
    import ray

    check_address(config)
    served = served_choices(config.models)
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, runtime_env=runtime_env,
                 configure_logging=False, log_to_driver=False)
    serve.start(http_options={"host": config.host, "port": config.port})
    serve.run(build_application(config, served), name=APP_NAME, route_prefix="/")
    return served


def stop() -> None:
    """Shut the Serve application and this process's Ray connection down (a local cluster stops with it)."""
    import ray

    try:
        serve.shutdown()
    finally:
        if ray.is_initialized():
            ray.shutdown()
