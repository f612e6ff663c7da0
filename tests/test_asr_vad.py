"""Speech/pause decisions on noisy recordings: Silero VAD against the energy detector, and the fallback.

The recordings are espeak-ng speech laid out word by word (positions known exactly) with babble of
five other espeak voices, pink noise and a mains hum at 10, 5 and 0 dB SNR (tests/noisy_speech.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.asr.pipeline import vad
from app.asr.pipeline.levels import above_floor, band_levels
from app.asr.pipeline.segmentation import plan_pieces, plan_pieces_with_cores
from tests.noisy_speech import clean_speech, cut_report, noisy_recording

MAX_S = 8.0
OVERLAP_S = 2.0

pytestmark = pytest.mark.skipif(not vad.silero_available(), reason="silero-vad is not installed")


@pytest.fixture(scope="module")
def recordings() -> dict[float | None, object]:
    return {snr: noisy_recording(snr) for snr in (None, 10.0, 5.0, 0.0)}


def test_loading_silero_keeps_the_thread_count() -> None:
    before = torch.get_num_threads()
    assert vad.silero_available()
    vad.speech_probabilities(np.zeros(16_000, dtype=np.float32))
    assert torch.get_num_threads() == before


def test_side_by_side_streams_agree_with_one_stream(recordings) -> None:
    """45 s at 5 dB SNR (two stream edges): streams run side by side decide as one long stream does."""
    audio = recordings[5.0].audio[: 16_000 * 45]
    probs = vad.speech_probabilities(audio)
    model = vad._load()
    model.reset_states()
    x = torch.from_numpy(np.concatenate([audio, np.zeros(-len(audio) % 512, np.float32)]))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            single = np.array([model(x[i : i + 512], 16_000).item() for i in range(0, len(x), 512)])
    finally:
        torch.set_num_threads(threads)
    assert probs.shape == single.shape
    assert np.abs(probs - single).mean() < 0.05
    on = vad.split_threshold(vad.smooth(single, 5))
    ours = vad.hysteresis(vad.smooth(probs, 5), on, on - 0.15)
    theirs = vad.hysteresis(vad.smooth(single, 5), on, on - 0.15)
    assert (ours == theirs).mean() > 0.95


def test_clean_speech_is_never_cut_inside_a_word(recordings) -> None:
    rec = recordings[None]
    for detector in ("silero", "energy"):
        report = cut_report(plan_pieces(rec.audio, MAX_S, overlap_s=OVERLAP_S, detector=detector), rec.words)
        assert report.cuts >= 5
        assert report.cuts_in_words == 0 and report.words_split == 0 and report.words_lost == 0, (detector, report)
        assert report.longest_s <= MAX_S


@pytest.mark.parametrize("snr", [10.0, 5.0, 0.0])
def test_noisy_speech_keeps_every_word_within_the_limit(recordings, snr: float) -> None:
    """8 s pieces (many cuts, most where no pause is near): every word lies whole in some piece and none is
    left out. At 10 dB the pauses are trusted and the clean cuts fall between words; at 5 and 0 dB the
    voice is drowned (see `vad.local_contrast`) and every cut is overlapped instead."""
    rec = recordings[snr]
    mask = vad.speech_mask(rec.audio, "silero")
    assert mask.detector == "silero"
    pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, MAX_S, overlap_s=OVERLAP_S, mask=mask)]
    silero = cut_report(pieces, rec.words)
    assert silero.longest_s <= MAX_S + 1e-9
    assert silero.cuts >= 10
    assert silero.words_lost == 0, silero  # no word falls into a stretch that no piece holds
    assert silero.words_split == 0, silero  # every word lies whole inside some piece
    if snr >= 10:  # trusted pauses: the seams are clean and fall between words
        assert silero.clean_cuts >= 10 and silero.clean_cut_accuracy >= 0.95, silero
    else:  # drowned: no seam is clean
        assert silero.clean_cuts == 0, silero


def test_the_voice_counts_as_drowned_only_under_heavy_noise(recordings) -> None:
    """`SpeechMask.drowned` (the voice less than `CONTRAST_DB` above the noise) marks nothing in clean
    speech or at 10 dB SNR, and nearly everything at 5 and 0 dB."""
    share = {snr: float(vad.speech_mask(rec.audio, "silero").drowned.mean()) for snr, rec in recordings.items()}
    assert share[None] == 0.0 and share[10.0] < 0.05, share
    assert share[5.0] > 0.9 and share[0.0] > 0.95, share
    contrast = {snr: float(np.median(vad.local_contrast(band_levels(rec.audio)))) for snr, rec in recordings.items()}
    assert contrast[None] > contrast[10.0] > contrast[5.0] > contrast[0.0], contrast


@pytest.fixture(scope="module")
def two_minutes() -> dict[float, object]:
    return {snr: noisy_recording(snr, repeats=2) for snr in (10.0, 5.0, 0.0)}


@pytest.mark.slow  # making the three 2-minute recordings takes about 15 s
@pytest.mark.parametrize("snr", [10.0, 5.0, 0.0])
def test_noisy_speech_is_cut_between_words_for_the_30_s_models(two_minutes, snr: float) -> None:
    """Two minutes under babble, pink noise and hum, cut for 4.1-2b's 30 s: no clean seam inside a word, no
    word split or lost, and the overlaps of a drowned recording cost at most 15 % more audio decoded."""
    rec = two_minutes[snr]
    mask = vad.speech_mask(rec.audio, "silero")
    assert mask.detector == "silero"
    pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, 30.0, overlap_s=OVERLAP_S, mask=mask)]
    report = cut_report(pieces, rec.words)
    assert report.cuts >= 4
    assert report.longest_s <= 30.0
    assert (report.clean_cuts_in_words, report.words_split, report.words_lost) == (0, 0, 0), report
    assert report.decoded_s <= 1.15 * len(rec.audio) / 16_000, report


@pytest.mark.parametrize("seed", [11, 16])
def test_a_drowned_pause_does_not_split_a_word(seed: int) -> None:
    """Recordings at 0 dB SNR in which Silero's mask calls a stretch a pause while a word runs through it
    (the word's edge, or all of it): trusting that pause cut the word in two for the 30 s models. Overlapped
    cuts keep every word whole in some piece."""
    rec = noisy_recording(0.0, seed=seed)
    mask = vad.speech_mask(rec.audio, "silero")
    pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, 30.0, overlap_s=OVERLAP_S, mask=mask)]
    report = cut_report(pieces, rec.words)
    assert report.cuts >= 2 and report.longest_s <= 30.0
    assert (report.words_split, report.words_lost) == (0, 0), report


def test_a_minute_of_silence_mid_recording_is_left_out(recordings) -> None:
    """The recorder kept running through a break: speech, a minute of digital silence, speech again. The
    silence has no contrast (it counts as `drowned`), yet Silero is sure nothing is said there: the piece
    before it ends within a second of the last word and no piece carries the silence to the model. (Plus's
    borrowed context may still reach back into it: that is `context_at_lowest_cost`'s business.)"""
    rec = recordings[None]
    gap = 60 * 16_000
    audio = np.concatenate([rec.audio, np.zeros(gap, np.float32), rec.audio])
    mask = vad.speech_mask(audio, "silero")
    assert mask.drowned is not None and mask.drowned[len(rec.audio) // 160 + 3000]  # the middle of the silence
    last_word, resumed = rec.words[-1][1], len(rec.audio) + gap + rec.words[0][0]
    for piece_s, context_s in ((30.0, 0.0), (120.0, 15.0)):  # 2b's pieces; Plus's cores (without the context)
        cores = [core for _, core in plan_pieces_with_cores(audio, piece_s, overlap_s=OVERLAP_S, context_s=context_s,
                                                             mask=mask)]
        assert [p for p in cores if p.end > last_word + 16_000 and p.start < resumed - 16_000] == [], cores
        assert all(any(p.start <= a and b <= p.end for p in cores) for a, b in rec.words)


@pytest.mark.parametrize("snr", [None, 20.0])
def test_no_word_of_a_phone_call_is_left_out(snr: float | None) -> None:
    """Speech heard through a phone line's 300-3400 Hz band: Silero scores some of these words near 0, so a
    stretch counts as empty (and may be left out between pieces) only where the voice band is at the noise
    floor too. Trusting Silero alone lost 7 words clean and 20 at 20 dB here."""
    rec = noisy_recording(snr, repeats=3, phone=True)
    mask = vad.speech_mask(rec.audio, "silero")
    assert mask.detector == "silero" and mask.quiet is not None and mask.quiet.any()  # some pauses still skipped
    pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, 30.0, overlap_s=OVERLAP_S, mask=mask)]
    report = cut_report(pieces, rec.words)
    assert report.cuts >= 4
    assert (report.words_lost, report.words_split) == (0, 0), report


@pytest.mark.parametrize("seed", [0, 1])
def test_gain_control_that_lifts_the_pauses_drowns_a_10_db_voice(seed: int) -> None:
    """At 10 dB SNR behind a recorder's automatic gain control the noise of every pause is pulled up (contrast
    about 18 dB): trusting those pauses split a word in both recordings; drowned, every cut is overlapped."""
    rec = noisy_recording(10.0, repeats=3, seed=seed, agc=True)
    mask = vad.speech_mask(rec.audio, "silero")
    assert mask.drowned is not None and mask.drowned.mean() > 0.9
    pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, 30.0, overlap_s=OVERLAP_S, mask=mask)]
    report = cut_report(pieces, rec.words)
    assert report.cuts >= 4 and report.longest_s <= 30.0
    assert (report.words_split, report.words_lost) == (0, 0), report


def test_room_tone_stays_out_beside_digital_silence() -> None:
    """A recording that is partly digital silence (a muted or padded stretch) and has room tone elsewhere: the
    noise floor is the room tone's, not the zeros', so the long pauses in room tone are still left out. With the
    zeros as the floor every room-tone frame stood above it and a 30 s pause went to the model."""
    rec = noisy_recording(None, repeats=1)
    speech = rec.audio * np.float32(0.3 / np.abs(rec.audio).max())
    rng = np.random.default_rng(3)
    gap, muted = 30 * 16_000, 60 * 16_000
    audio = np.concatenate([np.zeros(muted, np.float32), np.zeros(gap // 6, np.float32), speech,
                            np.zeros(gap, np.float32), speech, np.zeros(gap // 6, np.float32)])
    audio[muted:] += (rng.standard_normal(audio.size - muted) * 10 ** (-50 / 20)).astype(np.float32)
    second = muted + gap // 6 + speech.size + gap
    words = [(muted + gap // 6 + a, muted + gap // 6 + b) for a, b in rec.words]
    words += [(second + a, second + b) for a, b in rec.words]
    pieces = plan_pieces(audio, 30.0, overlap_s=OVERLAP_S, detector="silero")
    report = cut_report(pieces, words)
    assert report.words_lost == 0
    assert report.decoded_s < 2 * speech.size / 16_000 + 10.0, report  # not the 30 s pause


def test_the_floor_is_not_digital_silence() -> None:
    """`above_floor`: frames of room tone are at the floor even where a quarter of the recording is zeros."""
    levels = np.array([-100.0] * 25 + [-50.0] * 50 + [-20.0] * 25, dtype=np.float32)
    above = above_floor(levels, live_floor=True)
    assert above[75:].all() and not above[:75].any()


def test_a_music_bed_under_long_pauses_is_not_all_decoded() -> None:
    """Two minutes of speech around a 30 s pause, over a quiet music bed (chords 20 dB under the voice):
    single 10 ms peaks of the music stand above the noise floor, but a stretch is only kept for the voice band
    when it stays up for 50 ms (`vad.MIN_SOUND`); counting every peak sent the whole bed to the model (1.04x
    the recording decoded, against 0.88x)."""
    speech, words = clean_speech(1, 0)
    speech = speech * np.float32(0.3 / np.abs(speech).max())
    gap = 30 * 16_000
    n = 5 * 16_000 + 2 * len(speech) + gap
    t = np.arange(n) / 16_000
    music = sum(np.sin(2 * np.pi * f * t * (1 + 0.002 * np.sin(2 * np.pi * 0.3 * t + i)))
                for i, f in enumerate((220, 277, 330, 440, 554)))
    music = music * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    audio = (music * (0.03 / np.sqrt(np.mean(music**2)))).astype(np.float32)
    placed = []
    for start in (5 * 16_000, 5 * 16_000 + len(speech) + gap):
        audio[start : start + len(speech)] += speech
        placed += [(start + a, start + b) for a, b in words]
    mask = vad.speech_mask(audio, "silero")
    pieces = [p for p, _ in plan_pieces_with_cores(audio, 30.0, overlap_s=OVERLAP_S, mask=mask)]
    report = cut_report(pieces, placed)
    assert (report.words_split, report.words_lost) == (0, 0), report
    assert report.decoded_s < 0.95 * n / 16_000, report


def test_context_starts_fall_between_words_too(recordings) -> None:
    """The interview engine's 30 s of shared context start at the lowest cut cost, not at a fixed point."""
    rec = recordings[5.0]
    mask = vad.speech_mask(rec.audio, "silero")
    planned = plan_pieces_with_cores(rec.audio, 20.0, overlap_s=OVERLAP_S, context_s=6.0, mask=mask)
    report = cut_report([p for p, _ in planned], rec.words)
    assert len(planned) >= 3
    assert all(p.duration_s <= 20.0 and p.start <= core.start for p, core in planned)
    assert any(p.start < core.start for p, core in planned[1:])
    assert report.cuts_in_words == 0 and report.words_split == 0 and report.words_lost == 0, report


def test_noise_alone_is_not_all_speech(recordings) -> None:
    """The pauses between phrases are found under babble at 5 dB: the planner has places to cut."""
    rec = recordings[5.0]
    voiced = vad.speech_mask(rec.audio, "silero").voiced
    assert voiced.mean() < 0.97
    speech = np.zeros(voiced.size, dtype=bool)
    for a, b in rec.words:
        speech[a // 160 : b // 160] = True
    assert voiced[speech].mean() > 0.95  # the words themselves are speech


def test_energy_when_asked_or_when_silero_hears_nothing(monkeypatch) -> None:
    t = np.arange(16_000 * 2) / 16_000
    tone = np.concatenate([np.zeros(8000), 0.3 * np.sin(2 * np.pi * 440 * t), np.zeros(8000)]).astype(np.float32)
    mask = vad.speech_mask(tone)
    assert mask.detector == "energy"  # Silero hears no speech in a tone; the tone is still decoded
    assert plan_pieces(tone, 30.0)
    monkeypatch.setenv(vad.DETECTOR_ENV, "energy")
    assert vad.detector_name() == "energy"
    with pytest.raises(ValueError):
        vad.speech_mask(tone, "loud")
