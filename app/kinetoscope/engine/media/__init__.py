"""Clips: probing, streaming decode, frame sampling, preprocessing, preview frames, camera frames."""
