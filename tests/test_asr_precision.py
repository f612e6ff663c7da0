"""Choosing a number format per machine, and parity of every format with fp32 before it is used.

Parity, as stated in `app.asr.models.precision`: fed the same inputs, a stage's logits in bf16 or int8 stay within
PARITY_TOLERANCE (RMS error / RMS of the fp32 logits) of fp32, and its argmax ids equal fp32's wherever
fp32's top-two margin is above twice that bound. Random tiny models have near-ties (the NAR fixture's
smallest margin is 0.00025), which any other rounding may flip; those positions are not held equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from app.asr.models.hardware import cpu_flags, native_bf16, physical_cores
from app.asr.models.precision import (
    PARITY_TOLERANCE,
    Measurement,
    cache_path,
    convert,
    cpu_measurement,
    int8_available,
    measure,
    plan_for,
    save_choice,
    saved_choice,
)
from app.asr.models.precision_bench import parity
from app.core.errors import ModelError

NAR_FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"
PROMPT = "<|audio|>transcribe the speech with proper punctuation and capitalization."
CPUINFO = """processor\t: 0
model name\t: Test CPU
physical id\t: 0
core id\t: 0
flags\t\t: fpu avx2 avx512f avx512_bf16

processor\t: 1
model name\t: Test CPU
physical id\t: 0
core id\t: 0
flags\t\t: fpu avx2 avx512f avx512_bf16

processor\t: 2
physical id\t: 0
core id\t: 1

processor\t: 3
physical id\t: 0
core id\t: 1
"""


def fake_measurement(fingerprint: str, **kw: object) -> Measurement:
    base: dict[str, object] = dict(compute_s={"fp32": 1.0, "bf16": 0.4},
                                   decode_s={"fp32": 0.3, "bf16": 0.2, "int8": 0.05},
                                   parity={"fp32": True, "bf16": True, "int8": True},
                                   compute_flops=1e10, decode_params=4e7, threads=2)
    base.update(kw)
    return Measurement(fingerprint, **base)  # type: ignore[arg-type]


def test_cpu_facts_are_read_from_cpuinfo() -> None:
    assert native_bf16(cpu_flags(CPUINFO))
    assert not native_bf16(frozenset({"avx2", "avx512f"}))
    assert native_bf16(frozenset({"amx_bf16"}))
    assert 1 <= physical_cores(CPUINFO) <= 2  # two hyper-threads per core count once (fewer if affinity says so)


def test_measurement_times_every_candidate_and_passes_parity() -> None:
    m = measure(rounds=1, scale=0.125)
    assert set(m.compute_s) <= {"fp32", "bf16"} and "fp32" in m.compute_s
    assert "fp32" in m.decode_s and all(t > 0 for t in [*m.compute_s.values(), *m.decode_s.values()])
    if_native = {"bf16"} if native_bf16(cpu_flags()) else set()
    assert if_native <= set(m.compute_s)
    assert all(m.parity.values()), m.errors
    assert m.plan().encoder in m.compute_s and m.plan().llm in m.decode_s


def test_a_failed_parity_check_keeps_a_format_out_even_when_fastest() -> None:
    m = fake_measurement("x", parity={"fp32": True, "bf16": False, "int8": True})
    assert m.plan().encoder == "fp32" and m.plan().llm == "int8"
    m = fake_measurement("x", parity={"fp32": True, "bf16": True, "int8": False})
    assert m.plan().encoder == "bf16" and m.plan().llm == "bf16"


def test_measured_once_per_machine_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERBATIM_PRECISION", raising=False)
    from app.asr.models import precision

    calls: list[int] = []
    monkeypatch.setattr(precision, "machine_fingerprint", lambda: "machine-a")

    def fake() -> Measurement:
        calls.append(1)
        return fake_measurement("machine-a")

    plan = plan_for("cpu", None, tmp_path, fake)
    assert (plan.encoder, plan.llm, plan.source) == ("bf16", "int8", "measured")
    assert plan_for("cpu", None, tmp_path, fake) == plan and len(calls) == 1
    monkeypatch.setattr(precision, "machine_fingerprint", lambda: "machine-b")  # another CPU: measure again
    assert cpu_measurement(tmp_path, lambda: fake_measurement("machine-b")).fingerprint == "machine-b"
    assert json.loads(cache_path(tmp_path).read_text())["measurement"]["fingerprint"] == "machine-b"
    cache_path(tmp_path).write_text("{broken")  # a damaged cache is measured again, never an error
    assert plan_for("cpu", None, tmp_path, lambda: fake_measurement("machine-b")).llm == "int8"


def test_choice_order_argument_then_environment_then_dialog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERBATIM_PRECISION", raising=False)
    save_choice("fp32", tmp_path)
    assert saved_choice(tmp_path) == "fp32"
    assert plan_for("cpu", None, tmp_path).llm == "fp32"
    monkeypatch.setenv("VERBATIM_PRECISION", "bf16")
    assert plan_for("cpu", None, tmp_path).llm == "bf16"
    assert plan_for("cpu", "int8", tmp_path).llm == "int8"
    assert plan_for("cuda", None, tmp_path).encoder == "bf16"
    with pytest.raises(ModelError, match="int8 is for CPUs"):
        plan_for("cuda", "int8", tmp_path)
    with pytest.raises(ModelError, match="Unknown precision"):
        save_choice("fp16", tmp_path)


@pytest.mark.skipif(not int8_available(), reason="this torch has no int8 kernels for this CPU")
def test_int8_quantizes_every_linear_layer_in_place() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(16, 4)))
    out = convert(net.to(torch.bfloat16), "int8")
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    assert not any(type(m) is torch.nn.Linear for m in out.modules())
    assert sum(isinstance(m, DynamicLinear) for m in out.modules()) == 2
    assert out(torch.randn(2, 8)).shape == (2, 4)


# ---- the tiny fixtures in each format -----------------------------------------------------------------


def teacher_forced_logits(runner, piece: np.ndarray, ids: list[int]) -> torch.Tensor:
    """The LLM's logits at each generated position, fed the prompt, the audio and `ids` (fp32's output)."""
    batch = runner.build_inputs([piece], PROMPT)
    with torch.inference_mode():
        audio = runner._audio_embeddings(batch)
        model = runner.model
        emb = model.model.get_merged_audio_embeddings(input_ids=batch.input_ids, audio_features=audio,
                                                      input_features_mask=batch.input_features_mask)
        gen = model.model.language_model.get_input_embeddings()(torch.tensor([ids])).to(emb.dtype)
        logits = model(inputs_embeds=torch.cat([emb, gen], 1)).logits
    return logits[0, emb.shape[1] - 1 : -1].float()


@pytest.mark.parametrize("precision", ["bf16", "int8"])
@pytest.mark.parametrize("kind", ["granite", "plus"])
def test_ar_tiny_models_keep_fp32_ids_and_logits(tmp_path_factory, kind: str, precision: str) -> None:
    if precision == "int8" and not int8_available():
        pytest.skip("this torch has no int8 kernels for this CPU")
    from tiny_models import shared_tiny

    from app.asr.granite.ar_runner import ARRunner

    folder = shared_tiny(tmp_path_factory, kind)
    rng = np.random.default_rng(7)
    piece = (rng.standard_normal(16000 * 3) * 0.1).astype(np.float32)
    ref_runner = ARRunner.load(folder, "cpu", precision="fp32")
    ids = ref_runner.generate_ids([piece], PROMPT, 24, min_new_tokens=24)[0]
    ref = teacher_forced_logits(ref_runner, piece, ids)
    runner = ARRunner.load(folder, "cpu", precision=precision)
    assert runner.precision_plan.llm == precision
    passed, err = parity(ref, teacher_forced_logits(runner, piece, ids), PARITY_TOLERANCE[precision])
    assert passed, f"{precision}: RMS logit error {err:.4f} of the fp32 RMS, or a clear id changed"


def test_nar_fixture_in_bf16_keeps_fp32_ids_and_logits() -> None:
    from app.asr.nar import load_nar

    waves = [sf.read(NAR_FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    m32, m16 = load_nar(NAR_FIXTURE), load_nar(NAR_FIXTURE, dtype=torch.bfloat16)
    tol = PARITY_TOLERANCE["bf16"]
    with torch.inference_mode():
        for wave in waves:
            e32, e16 = m32.encode([wave]), m16.encode([wave])
            ok, err = parity(m32.bpe_logits(e32, 0).float(), m16.bpe_logits(e16, 0).float(), tol)
            assert ok, f"CTC head: RMS error {err:.4f}"
            draft = m32.run([wave])[0].draft  # both editors edit fp32's draft
            ref = m32.edit(m32.project(e32), [draft])[0].float()
            ok, err = parity(ref, m16.edit(m16.project(e16), [draft])[0].float(), tol)
            assert ok, f"editor: RMS error {err:.4f}"
