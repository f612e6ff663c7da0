"""Forced alignment of words to audio and re-alignment of edited words."""
