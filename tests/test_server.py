"""The transcription server on a real local Ray cluster, with tiny random-weight models.

One cluster for the whole file (started here, shut down at the end). What a newsroom relies on: a server
transcription equals the local one word for word and time for time (2b and NAR), also with four clients at
once and after the model replica is killed mid-job; tokens are checked; oversized uploads are refused;
cancel stops a job and frees the replica; `verbatim batch` resumes after an interruption.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("ray.serve")

from app.asr.engines.base import CancelToken, TranscribeOptions, collect
from app.asr.engines.remote_engine import RemoteEngine, ServerAddress, ServerClient
from app.core.errors import VerbatimError
from tests.server_support import TOKEN, RunningServer, recording, running_server

pytestmark = pytest.mark.slow
MAX_UPLOAD = 8_000_000
MAX_DURATION_S = 210.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> RunningServer:
    with running_server(tmp_path_factory.mktemp("server"), max_upload_bytes=MAX_UPLOAD,
                        max_duration_s=MAX_DURATION_S) as running:
        yield running


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    return {"short": recording(folder / "short.wav", 70.0, seed=1),
            "long": recording(folder / "long.wav", 200.0, seed=2)}


_LOCAL: dict[tuple[str, str, int], object] = {}


def local_words(folder: Path, media: Path, batch_size: int = 8):
    """The local transcription of `media` with the same model folder (cached per model, file and batch)."""
    key = (str(folder), str(media), batch_size)
    if key not in _LOCAL:
        from app.asr.engines.factory import create_engine
        from app.audio.cache import load_audio

        engine = create_engine(str(folder), "cpu")
        _LOCAL[key] = collect(engine.transcribe(load_audio(media).samples, TranscribeOptions(batch_size=batch_size)))
    return _LOCAL[key]


def remote(server: RunningServer, model: str) -> RemoteEngine:
    return RemoteEngine(ServerAddress(server.url, server.token), model)


@pytest.mark.parametrize("model", ["granite", "nar"])
def test_server_result_equals_the_local_result(server, files, model) -> None:
    folder = server.granite if model == "granite" else server.nar
    local = local_words(folder, files["short"])
    got = collect(remote(server, model).transcribe_file(files["short"], TranscribeOptions()))
    assert len(local.words) > 0  # the tiny models do produce words on this recording
    assert got.words == local.words and got.speakers == local.speakers


def test_four_concurrent_clients_each_get_the_local_result(server, files) -> None:
    local = local_words(server.granite, files["short"])
    results: list[object] = [None] * 4

    def client(i: int) -> None:
        results[i] = collect(remote(server, "granite").transcribe_file(files["short"], TranscribeOptions()))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert all(r is not None and r.words == local.words for r in results)


def _replica_pid() -> int:
    from ray import serve

    return int(serve.get_deployment_handle("model-granite", app_name="verbatim").pid.remote().result())


def _wait(client: ServerClient, job: str, until, timeout_s: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.status(job)
        if until(status):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job never reached the expected state: {status}")


def test_a_replica_killed_mid_job_is_replaced_and_the_job_is_exact(server, files) -> None:
    local = local_words(server.granite, files["long"], batch_size=1)
    client = ServerClient(ServerAddress(server.url, server.token))
    pid = _replica_pid()
    job = client.submit(files["long"], "granite", TranscribeOptions(batch_size=1))
    status = _wait(client, job, lambda s: s["progress"]["pieces_done"] >= 1)
    assert status["state"] == "running" and status["progress"]["pieces_done"] < status["progress"]["pieces_total"]
    os.kill(pid, signal.SIGKILL)
    status = _wait(client, job, lambda s: s["state"] not in ("queued", "running"), timeout_s=240)
    assert status["state"] == "done", status
    from app.asr.engines.remote_engine import words_from_result

    words, _speakers, _settings = words_from_result(client.result(job))
    assert words == local.words  # nothing lost, nothing doubled
    assert _replica_pid() != pid  # Serve started a new replica


def _http(method: str, url: str, token: str | None = None, body: bytes | None = None,
          content_type: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_every_endpoint_needs_a_valid_token(server, files) -> None:
    client = ServerClient(ServerAddress(server.url, server.token))
    job = client.submit(files["short"], "nar", TranscribeOptions())
    for method, path in (("GET", "/v1/capabilities"), ("POST", "/v1/jobs"), ("GET", f"/v1/jobs/{job}"),
                         ("GET", f"/v1/jobs/{job}/events"), ("DELETE", f"/v1/jobs/{job}"),
                         ("GET", f"/v1/jobs/{job}/result")):
        for token in (None, "wrong-token-0123456789", TOKEN[:-1]):
            code, body = _http(method, server.url + path, token)
            assert code == 401 and "token" in body["detail"], (method, path, token)
    code, body = _http("GET", server.url + "/v1/capabilities", TOKEN)
    assert code == 200 and {m["key"] for m in body["models"]} == {"nar", "granite"}
    _wait(client, job, lambda s: s["state"] == "done")
    req = urllib.request.Request(server.url + f"/v1/jobs/{job}/events", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=60) as r:  # a finished job: one last event, then the stream ends
        events = [json.loads(line[6:]) for line in r.read().decode().splitlines() if line.startswith("data: ")]
    assert events[-1]["state"] == "done" and events[-1]["progress"]["pieces_done"] == 3


def test_an_oversized_upload_gets_413_with_one_sentence(server, tmp_path) -> None:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.putrequest("POST", "/v1/jobs")  # the server answers from the declared length, before any body
    conn.putheader("Authorization", f"Bearer {TOKEN}")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(MAX_UPLOAD * 2))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    detail = json.loads(response.read())["detail"]
    assert detail == f"The upload is larger than this server's limit of {MAX_UPLOAD} bytes."
    conn.close()
    big = recording(tmp_path / "big.wav", MAX_UPLOAD / 32000 + 10)  # the client checks the limit before sending
    with pytest.raises(VerbatimError, match="is larger than the server's limit"):
        ServerClient(ServerAddress(server.url, server.token)).submit(big, "nar", TranscribeOptions())


def test_a_recording_over_the_duration_limit_gets_422_with_one_sentence(server, tmp_path) -> None:
    too_long = recording(tmp_path / "hearing.wav", MAX_DURATION_S + 30)
    with pytest.raises(VerbatimError, match=r"\(422\): The recording is 4 minutes long; this server takes at most "
                                            r"3\.5 minutes\.$"):
        ServerClient(ServerAddress(server.url, server.token)).submit(too_long, "nar", TranscribeOptions())
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not a recording", encoding="utf-8")
    with pytest.raises(VerbatimError, match=r"\(422\): .*notes"):
        ServerClient(ServerAddress(server.url, server.token)).submit(not_audio, "nar", TranscribeOptions())


def test_cancel_stops_the_job_keeps_its_words_and_frees_the_replica(server, files) -> None:
    client = ServerClient(ServerAddress(server.url, server.token))
    job = client.submit(files["long"], "granite", TranscribeOptions(batch_size=1))
    _wait(client, job, lambda s: s["progress"]["pieces_done"] >= 1)
    client.cancel(job)
    status = _wait(client, job, lambda s: s["state"] != "running", timeout_s=60)
    assert status["state"] == "cancelled"
    assert status["progress"]["pieces_done"] < status["progress"]["pieces_total"]
    result = client.result(job)
    assert len(result["words"]) == status["words"] > 0
    code, _ = _http("GET", server.url + f"/v1/jobs/{job}", TOKEN)
    assert code == 404  # fetched: deleted
    cancel = CancelToken()
    started = time.monotonic()
    again = collect(remote(server, "granite").transcribe_file(files["short"], TranscribeOptions()), cancel)
    assert again.words == local_words(server.granite, files["short"]).words
    assert time.monotonic() - started < 120  # the replica was not left decoding the cancelled job


def test_batch_resumes_after_an_interruption(server, files, tmp_path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(3):
        recording(inputs / f"interview{i}.wav", 35.0, seed=10 + i)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "VERBATIM_SERVER_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "app.cli", "batch", str(inputs), "--server", server.url, "--model", "nar",
           "-o", str(out), "--jobs", "1"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.stdout is not None
    line = first.stdout.readline()  # the first recording is done: interrupt the rest
    first.send_signal(signal.SIGINT)
    rest, _err = first.communicate(timeout=120)
    assert line.startswith("done     interview0.wav")
    done_first = [ln for ln in [line, *rest.splitlines()] if ln.startswith("done")]
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert sum(ln.startswith("skipped") for ln in lines) == len(done_first) >= 1
    assert sum(ln.startswith("done") for ln in lines) == 3 - len(done_first)
    assert sorted(p.name for p in out.iterdir()) == [f"interview{i}.verbatim" for i in range(3)]


def test_cli_transcribe_on_the_server_writes_the_local_words(server, files, tmp_path, capsys) -> None:
    from app.cli import main
    from app.core.project import load_project

    out = tmp_path / "short.verbatim"
    code = main(["transcribe", str(files["short"]), "-o", str(out), "--server", server.url, "--token", TOKEN,
                 "--model", "nar", "--quiet"])
    assert code == 0, capsys.readouterr().err
    project = load_project(out)
    assert list(project.transcript.words) == local_words(server.nar, files["short"]).words
    assert project.media_path == files["short"].resolve()


def test_the_window_lists_the_server_models_asks_once_and_transcribes_exactly(server, files, qtbot,
                                                                            tmp_path, monkeypatch) -> None:
    from app.asr.engines.remote_engine import load_address, save_address
    from app.ui.dialogs.server_dialog import ServerDialog
    from tests.ui_window_support import new_window, open_and_wait

    monkeypatch.setenv("VERBATIM_CONFIG_DIR", str(tmp_path / "config"))
    w = new_window(qtbot, tmp_path)
    assert w.transcribe_panel.model_box.findData("server:nar") < 0  # no server set: local models only
    dialog = ServerDialog(w)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(server.url)
    dialog.token_edit.setText(TOKEN)
    dialog.saved.connect(w.transcribe_panel.set_remote_choices)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.models is not None, timeout=30_000)
    assert "Connected. The server offers:" in dialog.result_label.text()
    dialog._on_buttons_accepted()
    assert load_address() == ServerAddress(server.url, TOKEN)
    row = w.transcribe_panel.model_box.findData("server:nar")
    assert row >= 0 and w.transcribe_panel.model_box.itemText(row).endswith("(server)")

    open_and_wait(qtbot, w, files["short"])
    w.transcribe_panel.select(model="server:nar")
    assert w.transcribe_panel.is_remote
    asked: list[str] = []
    w.upload_question = lambda text: asked.append(text) is None and False  # first: the person says no
    w.acts["transcribe"].trigger()
    assert len(asked) == 1 and server.url in asked[0] and not w.transcription.running
    w.upload_question = lambda text: asked.append(text) is None  # then yes: the recording goes to the server
    w.acts["transcribe"].trigger()
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=120_000)
    assert w.transcription.last_error is None
    # the same words and times as a local run; the window then adds its paragraph breaks to either
    got = [word.replace(starts_segment=False) for word in w.project.transcript.words]
    assert got == local_words(server.nar, files["short"]).words
    w.acts["transcribe"].trigger()  # asked once per server
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=120_000)
    assert len(asked) == 2
    save_address(None)
