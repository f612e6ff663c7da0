"""`verbatim system` and the expected time for a one-hour interview (the measurement injected)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from app.asr.models.expected_time import (
    Expected,
    duration_text,
    estimate_seconds,
    expected_on_this_machine,
    record_speed,
)
from app.asr.models.precision import Measurement, cache_path, machine_fingerprint, read_cache, write_cache
from app.cli import main
from app.cli.system import model_rows


def measurement(fingerprint: str | None = None) -> Measurement:
    # a 2-core CPU with bf16 in hardware: 100 GFLOP/s of encoder work in bf16, int8 decoding 5x fp32
    return Measurement(fingerprint or machine_fingerprint(), {"fp32": 0.2, "bf16": 0.07},
                       {"fp32": 0.1, "bf16": 0.06, "int8": 0.02}, {"fp32": True, "bf16": True, "int8": True},
                       7e9, 8.5e7, 2, "2026-12-01 15:00")


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VERBATIM_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_each_model_gets_device_precision_attention_threads_and_an_estimate(config: Path) -> None:
    rows = {r.key: r for r in model_rows("cpu", "bf16", measurement())}
    assert set(rows) == {"interview", "2b", "plus", "nar", "4.0-1b"}
    for row in rows.values():
        assert row.device == "cpu" and row.threads >= 1 and row.expected is not None
        assert not row.expected.measured and row.downloaded is False
    assert rows["nar"].attention.startswith("SDPA") and rows["2b"].attention == "sdpa"
    assert rows["2b"].precision.startswith("bf16")
    # the fast NAR model finishes before 2b, and the interview (2b + plus) after both
    assert rows["nar"].expected.seconds < rows["2b"].expected.seconds < rows["interview"].expected.seconds


def test_int8_decoding_and_a_faster_cpu_shorten_the_estimate() -> None:
    m = measurement("x")
    assert estimate_seconds("2b", m, "bf16", "int8") < estimate_seconds("2b", m, "fp32", "fp32")
    assert estimate_seconds("nar", m, "bf16", "bf16") < estimate_seconds("nar", m, "fp32", "fp32")
    faster = Measurement("x", {"fp32": 0.1, "bf16": 0.035}, {"fp32": 0.05, "bf16": 0.03, "int8": 0.01},
                         {}, 7e9, 8.5e7, 2)
    slow = estimate_seconds("2b", m, "bf16", "int8")
    assert slow is not None and estimate_seconds("2b", faster, "bf16", "int8") == pytest.approx(slow / 2)
    assert estimate_seconds("unknown", m, "fp32", "fp32") is None


def test_a_recorded_run_replaces_the_estimate(config: Path) -> None:
    # "auto" takes its formats from this machine's cached measurement: the injected one (encoder bf16,
    # decoding int8), not one timed now, whose winner under load could be fp32 and file the speed elsewhere
    write_cache(cache_path(config), {"measurement": asdict(measurement())})
    record_speed("nar", "cpu", "bf16", 1800.0, 450.0)  # 30 min of audio in 7.5 min: 4x real time
    record_speed("2b", "cpu", "bf16+int8", 30.0, 5.0)  # too short to say anything: not kept
    rows = {r.key: r for r in model_rows("cpu", "auto", measurement())}
    assert rows["nar"].expected == Expected(900.0, True)
    assert rows["nar"].expected.text() == "about 15 min for a one-hour interview (measured on this computer)"
    assert not rows["2b"].expected.measured
    assert read_cache(cache_path(config))["speeds"] == {"nar|cpu|bf16": 4.0}
    assert rows["2b"].precision.startswith("encoder bf16, language model int8")  # the plan the runs were filed under


def test_the_dialogs_read_only_what_is_cached(config: Path) -> None:
    assert expected_on_this_machine(["nar", "2b"]) == {}  # nothing measured yet: nothing shown, nothing measured
    write_cache(cache_path(config), {"measurement": asdict(measurement())})
    found = expected_on_this_machine(["nar", "2b"])
    assert set(found) == {"nar", "2b"} and not found["nar"].measured
    write_cache(cache_path(config), {"measurement": asdict(measurement("another machine"))})
    assert expected_on_this_machine(["nar"]) == {}
    assert expected_on_this_machine(["nar"], device="cuda") == {}  # no GPU run recorded


def test_cli_prints_text_and_json_from_the_cached_measurement(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(cache_path(config), {"measurement": asdict(measurement())})
    assert main(["system", "--device", "cpu", "--precision", "auto"]) == 0
    text = capsys.readouterr().out
    assert "physical cores" in text and "Measured 2026-12-01 15:00 with 2 threads" in text
    assert "nar        cpu, bf16 (measured), attention SDPA" in text
    assert "2b         cpu, encoder bf16, language model int8 (measured), attention sdpa" in text
    assert text.count("for a one-hour interview (estimated)") == 5
    assert main(["system", "--device", "cpu", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["model"] for m in data["models"]] == ["interview", "2b", "plus", "nar", "4.0-1b"]
    assert all(m["one_hour_s"] > 0 and m["one_hour_measured"] is False for m in data["models"])
    assert data["measurement"]["threads"] == 2


def test_durations_read_like_a_person_writes_them() -> None:
    assert [duration_text(s) for s in (10, 95, 3600, 4000, 7200)] == ["1 min", "2 min", "1 h", "1 h 7 min", "2 h"]


def test_a_finished_run_records_its_speed_under_its_precision(config: Path) -> None:
    from types import SimpleNamespace

    from app.asr.models.expected_time import record_engine_speed
    from app.asr.models.precision import plan_for

    plan = plan_for("cpu", "int8", config)  # the encoder in bf16 where the CPU has it, else fp32
    runner = SimpleNamespace(precision_plan=plan)
    record_engine_speed("2b", SimpleNamespace(runner=runner), 600.0, 300.0)
    record_engine_speed("interview", SimpleNamespace(text_runner=runner), 600.0, 1200.0)
    record_engine_speed("/some/folder", SimpleNamespace(runner=runner), 600.0, 300.0)  # not a catalog model
    tag = f"{plan.encoder}+int8"
    assert read_cache(cache_path(config))["speeds"] == {f"2b|cpu|{tag}": 2.0, f"interview|cpu|{tag}": 0.5}
    rows = {r.key: r for r in model_rows("cpu", "int8", measurement())}
    assert rows["2b"].expected == Expected(1800.0, True)
