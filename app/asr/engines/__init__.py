"""The engine interface and one module per transcription engine; the factory that makes them."""
