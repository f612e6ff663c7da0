"""The transcribe panel lists a server's models after the local ones, marked remote, with the server's capabilities."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from app.asr import catalog
from app.ui.dialogs.server_dialog import CONSENT_KEY, confirm_upload, remote_choices
from app.ui.transcribe_panel import TranscribePanel

SERVED = [{"key": "nar", "label": "Granite Speech 4.1 2B NAR", "description": "fast",
           "capabilities": {"languages": ["en", "fr"], "translation_targets": [], "translation_to_english": False,
                            "keywords": False, "punctuation": False, "timestamps": False, "speakers": False}}]


def test_server_models_join_the_list_marked_remote_and_go_again(qtbot, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    panel = TranscribePanel(settings)
    qtbot.addWidget(panel)
    local = [panel.model_box.itemData(i) for i in range(panel.model_box.count())]
    assert local == [c.key for c in catalog.panel_choices()] and not panel.is_remote
    panel.set_remote_choices(remote_choices(SERVED, "http://gpu-box:8000"))
    row = panel.model_box.findData("server:nar")
    assert row == len(local) and panel.model_box.itemText(row) == "Granite Speech 4.1 2B NAR (server)"
    panel.select(model="server:nar")
    assert panel.is_remote and panel.capabilities is not None and panel.capabilities.languages == ("en", "fr")
    assert not panel.is_enabled(panel.language_box, "de")  # what the server's model cannot do is greyed out
    assert not panel.is_enabled(panel.task_box, "translate")
    panel.set_remote_choices([])  # server cleared: back to a local model
    assert panel.model_box.findData("server:nar") < 0 and panel.model_key == catalog.DEFAULT_CHOICE


def test_the_upload_question_is_asked_once_per_server(tmp_path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    asked: list[str] = []
    assert not confirm_upload(None, settings, "http://a:8000", lambda t: asked.append(t) is None and False)
    assert confirm_upload(None, settings, "http://a:8000", lambda t: asked.append(t) is None)
    assert confirm_upload(None, settings, "http://a:8000", lambda t: asked.append(t) is None)
    assert len(asked) == 2 and "will be sent to the transcription server at http://a:8000" in asked[0]
    assert confirm_upload(None, settings, "http://b:8000", lambda t: asked.append(t) is None)
    assert len(asked) == 3 and settings.value(CONSENT_KEY) == "http://b:8000"
