"""The transcription server: a Ray Serve application (no Qt). Only this package and its CLI import Ray."""
