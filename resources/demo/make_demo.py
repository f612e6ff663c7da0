"""Generate the bundled demo interview: demo.wav (16 kHz mono 16-bit) and demo.verbatim.

Two espeak-ng voices play an interviewer and a scientist. Each word is synthesised on its own,
trimmed of silence and laid end to end with short gaps, so every word's start and end are known to
the sample: the demo transcript's timings are exact, not guessed. Run it from the repository root:

    python resources/demo/make_demo.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word  # noqa: E402
from app.core.fingerprint import media_fingerprint  # noqa: E402
from app.core.project import Project, dumps_project, project_to_dict, write_atomically  # noqa: E402

RATE = 16_000
HERE = Path(__file__).resolve().parent
SPEAKERS = (
    Speaker("S1", "Interviewer", "#1f77b4"),
    Speaker("S2", "Dr. Amal Osei", "#d62728"),
)
VOICES = {"S1": ("en-us", 205), "S2": ("en-gb+f3", 195)}
SCRIPT = (
    ("S1", "Dr. Osei, thank you for joining us. What did your team find in the river samples?"),
    ("S2", "We found microplastics at every site. Downstream of the plant, the levels were four times higher."),
    ("S1", "Four times higher. Did the company respond?"),
    ("S2", "They said they would review our data. We shared everything with the city council last week."),
    ("S1", "What happens next?"),
    ("S2", "We go back in May, after the new filters are installed."),
)
WORD_GAP_MS = 25
SENTENCE_GAP_MS = 220
TURN_GAP_MS = 550


def synthesize_word(word: str, voice: str, speed: int, folder: Path) -> np.ndarray:
    """One word as 16 kHz float32 samples, silence trimmed."""
    import soundfile as sf
    import soxr

    wav = folder / "w.wav"
    spoken = word.strip(",.?!;:").replace("Dr", "Doctor")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), spoken], check=True)
    data, rate = sf.read(wav, dtype="float32", always_2d=True)
    x = soxr.resample(data.mean(axis=1), rate, RATE).astype(np.float32)
    loud = np.flatnonzero(np.abs(x) > 0.02)
    if not len(loud):
        return np.zeros(RATE // 10, dtype=np.float32)
    return x[max(0, loud[0] - 80) : loud[-1] + 160]


def build() -> tuple[np.ndarray, list[Word]]:
    """The demo's samples and words (exact times)."""
    pieces: list[np.ndarray] = [np.zeros(RATE * 4 // 10, dtype=np.float32)]
    pos = len(pieces[0])
    words: list[Word] = []
    with tempfile.TemporaryDirectory() as tmp:
        for turn, (speaker, text) in enumerate(SCRIPT):
            voice, speed = VOICES[speaker]
            tokens = text.split()
            for i, token in enumerate(tokens):
                audio = synthesize_word(token, voice, speed, Path(tmp))
                start = pos * 1000 // RATE
                pieces.append(audio)
                pos += len(audio)
                words.append(Word(token, start, pos * 1000 // RATE, speaker, 1.0, TimingSource.ALIGNED, False))
                last = i == len(tokens) - 1
                sentence_end = token[-1] in ".?!" and token != "Dr."
                gap = TURN_GAP_MS if last else SENTENCE_GAP_MS if sentence_end else WORD_GAP_MS
                if last and turn == len(SCRIPT) - 1:
                    gap = 600
                silence = np.zeros(gap * RATE // 1000, dtype=np.float32)
                pieces.append(silence)
                pos += len(silence)
    samples = np.concatenate(pieces)
    samples *= 0.8 / max(float(np.abs(samples).max()), 1e-6)
    return samples, words


def main(out: Path = HERE) -> int:
    """Write demo.wav and demo.verbatim into `out`."""
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        print("make_demo: espeak-ng is not installed", file=sys.stderr)
        return 1
    samples, words = build()
    wav = out / "demo.wav"
    sf.write(wav, samples, RATE, subtype="PCM_16")
    settings = TranscriptionSettings(model="demo script (espeak-ng)", language="en", task="transcribe")
    doc = Transcript.from_words(words, SPEAKERS, ("microplastics", "Osei"), settings)
    project = Project(doc, wav, media_fingerprint(wav), len(samples) * 1000 // RATE)
    data = project_to_dict(project, out)
    data["media"]["absolute_path"] = None  # the bundle moves with the app: keep only the relative path
    write_atomically(out / "demo.verbatim", dumps_project(data))
    print(f"wrote {wav} ({len(samples) / RATE:.1f} s, {len(words)} words) and {out / 'demo.verbatim'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
