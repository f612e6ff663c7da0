"""Device, precision and attention choices, and loading the AR Granite Speech models from a folder.

Device order: CUDA in bf16, then Apple MPS (bf16 where this torch/macOS can compute in it, else float32;
never float16, whose range the Granite multipliers overflow), then CPU in float32.
flash-attn is used for the language model where it is installed; SDPA otherwise (the speech encoder
and the Q-Former projector have their own attention and always use the default path).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch

from app.core.errors import ModelError

AR_MODEL_TYPES = ("granite_speech", "granite_speech_plus")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _mps_supports_bf16() -> bool:
    try:
        x = torch.ones(4, dtype=torch.bfloat16, device="mps")
        return bool((x @ x).item() == 4.0)
    except Exception:  # older macOS / torch: no bf16 kernels on MPS
        return False


def pick_device(pref: str | None = None) -> tuple[torch.device, torch.dtype]:
    """The device and dtype to run a model on; `pref` is None (best available), "cuda", "mps" or "cpu"."""
    if pref not in (None, "cuda", "mps", "cpu"):
        raise ModelError(f"Unknown device '{pref}': use cuda, mps or cpu.")
    if pref == "cuda" or (pref is None and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ModelError("No CUDA GPU is available; run on the CPU (--device cpu) or install a CUDA build "
                             "of torch.")
        return torch.device("cuda"), torch.bfloat16
    if pref == "mps" or (pref is None and _mps_available()):
        if not _mps_available():
            raise ModelError("Apple MPS is not available on this machine; run on the CPU (--device cpu).")
        return torch.device("mps"), (torch.bfloat16 if _mps_supports_bf16() else torch.float32)
    return torch.device("cpu"), torch.float32


def flash_attn_installed() -> bool:
    """Whether the optional flash-attn package can be imported."""
    return importlib.util.find_spec("flash_attn") is not None


def attention_implementation(device: torch.device | str) -> str:
    """"flash_attention_2" on CUDA with flash-attn installed, else "sdpa"."""
    if torch.device(device).type == "cuda" and flash_attn_installed():
        return "flash_attention_2"
    return "sdpa"


def _attn_argument(device: torch.device) -> str | dict[str, str]:
    impl = attention_implementation(device)
    if impl == "sdpa":
        return impl
    # The Q-Former projector does not support flash-attn: only the language model gets it.
    return {"text_config": impl, "": "sdpa"}


def model_class(model_type: str) -> Any:
    """The transformers class for an AR model type."""
    import transformers

    if model_type == "granite_speech":
        return transformers.GraniteSpeechForConditionalGeneration
    if model_type == "granite_speech_plus":
        return transformers.GraniteSpeechPlusForConditionalGeneration
    raise ModelError(f"Model type '{model_type}' is not an autoregressive Granite Speech model.")


def load_ar_model(
    folder: Path, model_type: str, device: torch.device, dtype: torch.dtype, int8_layers: bool = False
) -> Any:
    """Load an AR model from a local folder (safetensors only, no remote code) onto `device` in eval mode.

    `int8_layers` (CPU): the language model's decoder layers and output layer come out in int8, each decoder
    layer converted as it is read (`app.asr.models.streamed_int8`), and the weights are read into the process's
    own memory tensor by tensor (`app.asr.models.weight_files`) rather than left in a file mapping whose pages
    would stay resident after the conversion; `apply_precision` does the rest. Otherwise, and for a folder with
    a LoRA adapter (which transformers loads with the model), transformers' own loader reads the folder.
    """
    cls = model_class(model_type)
    try:
        if int8_layers and device.type == "cpu" and not (Path(folder) / "adapter_config.json").exists():
            model, info = _read_with_int8_layers(cls, Path(folder), dtype)
        else:
            model, info = cls.from_pretrained(
                str(folder),
                output_loading_info=True,
                dtype=dtype,
                use_safetensors=True,
                trust_remote_code=False,
                attn_implementation=_attn_argument(device),
                local_files_only=True,
            )
    except torch.cuda.OutOfMemoryError:
        raise ModelError(f"The GPU has too little free memory to load {Path(folder).name}; "
                         "close other GPU programs or use --device cpu.") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"The model in {folder} cannot be loaded ({_first_line(exc)}).") from exc
    mismatched = [k[0] if isinstance(k, tuple) else k for k in info.get("mismatched_keys") or []]
    missing = sorted(info.get("missing_keys") or []) + sorted(mismatched)
    if missing:
        raise ModelError(
            f"The weights in {folder} do not fit the model ({len(missing)} missing or misshapen, e.g. {missing[0]})."
        )
    return model.to(device).eval()


def _read_with_int8_layers(cls: Any, folder: Path, dtype: torch.dtype) -> tuple[Any, dict[str, Any]]:
    """What transformers' `from_pretrained` gives for `folder` on the CPU, with the weights read by `pread`
    (`lazy_state_dict`) and the language model's decoder and output layers in int8: the same config, weights
    and generation config, in memory the process owns."""
    from transformers import GenerationConfig

    from app.asr.models.streamed_int8 import add_int8_layers, split_off_layers, without_decoder_layers
    from app.asr.models.weight_files import lazy_state_dict

    config = cls.config_class.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    config, layers = without_decoder_layers(config)
    generation = None
    if (folder / "generation_config.json").is_file():
        generation = GenerationConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    with lazy_state_dict(folder) as weights:
        weights, layer_weights = split_off_layers(weights)
        model, info = cls.from_pretrained(
            None,
            config=config,
            state_dict=weights,
            generation_config=generation,
            output_loading_info=True,
            dtype=dtype,
            trust_remote_code=False,
            attn_implementation=_attn_argument(torch.device("cpu")),
        )
        model.lm_head = _int8_output_layer(model)  # first: memory is lowest before the decoder layers arrive
        add_int8_layers(model, layer_weights, layers, dtype, folder)
    model.config.name_or_path = str(folder)
    return model, info


def precision_plan(device: torch.device, precision: str | None = None) -> Any:
    """The `PrecisionPlan` for a model on `device`: measured (cached) on a CPU, bf16 on a GPU; `precision`
    ("auto", "fp32", "bf16", "int8"; None = the Models dialog's choice) overrides. MPS without bf16 kernels
    computes in fp32 whatever the plan says."""
    from app.asr.models.precision import PrecisionPlan, plan_for

    plan = plan_for(device.type, precision)
    if device.type == "mps" and plan.encoder == "bf16" and not _mps_supports_bf16():
        return PrecisionPlan("mps", "fp32", "fp32", "no bf16 on this Mac")
    return plan


def load_ar_model_with_precision(
    folder: Path, model_type: str, device: torch.device, precision: str | None = None
) -> tuple[Any, torch.dtype, Any]:
    """`load_ar_model` in the formats of `precision_plan`: (model, the encoder's dtype, the plan).

    On a CPU the model is read in bf16 when no stage needs fp32 weights, an int8 language model is quantized
    layer by layer as it is read (the bf16 model is never in memory whole: the peak stays near the result),
    and torch computes with one thread per physical core.
    """
    from app.asr.models.precision import torch_dtype

    plan = precision_plan(device, precision)
    if device.type != "cpu":
        dtype = torch_dtype(plan.encoder)
        return load_ar_model(folder, model_type, device, dtype), dtype, plan
    from app.asr.models.hardware import use_physical_cores

    use_physical_cores()
    light = plan.encoder == "bf16" and plan.llm in ("bf16", "int8")
    model = load_ar_model(folder, model_type, device, torch.bfloat16 if light else torch.float32,
                          int8_layers=plan.llm == "int8")
    return model, apply_precision(model, plan), plan


def apply_precision(model: Any, plan: Any) -> torch.dtype:
    """Put a loaded AR model into `plan` (an `app.asr.models.precision.PrecisionPlan`); returns the encoder's dtype.

    The encoder and projector take `plan.encoder` (fp32 or bf16 weights), the language model and its
    output layer `plan.llm` (fp32, bf16, or int8 dynamic quantization of the Linear layers with fp32
    activations). Never autocast: weights and activations share one dtype per stage.
    """
    from app.asr.models.fused_projections import stack_language_model
    from app.asr.models.precision import convert, torch_dtype

    inner = model.model
    convert(inner.encoder, plan.encoder)
    convert(inner.projector, plan.encoder)
    if plan.llm == "int8":
        # the language model first: it shrinks by half before the output layer needs an fp32 copy (peak memory);
        # q/k/v and gate/up each become one int8 product (fewer calls per decoded token, the same outputs)
        stack_language_model(inner.language_model, lambda linear: convert(linear, "int8"))
        convert(inner.language_model, "int8")
        # a copy of the output layer is quantized even where it is tied to the input embeddings
        if isinstance(model.lm_head, torch.nn.Linear):  # not yet (`load_ar_model(int8_layers=True)` does it)
            model.lm_head = _int8_output_layer(model)
    else:
        convert(inner.language_model, plan.llm)
        convert(model.lm_head, plan.llm)
    return torch_dtype(plan.encoder)  # type: ignore[no-any-return]


def _int8_output_layer(model: Any) -> Any:
    """An int8 copy of `model.lm_head` (a copy even where it is tied to the input embeddings).

    At most one fp32 copy of its weight exists at a time, and the bf16 layer is let go before quantizing:
    the fp32 layer is built on the meta device (no random fp32 weight allocated and initialised only to be
    replaced) and takes the model's place while it is quantized.
    """
    from app.asr.models.precision import convert

    old = model.lm_head
    head = torch.nn.Linear(old.in_features, old.out_features, bias=old.bias is not None, device="meta")
    head.weight = torch.nn.Parameter(old.weight.detach().float(), requires_grad=False)
    if old.bias is not None:
        head.bias = torch.nn.Parameter(old.bias.detach().float(), requires_grad=False)
    model.lm_head = head  # the bf16 layer goes now (where tied, its weight stays with the input embeddings)
    del old
    return convert(head, "int8")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
