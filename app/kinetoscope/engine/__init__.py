"""The engine: video decoding, model bundles, inference sessions. It never imports Qt."""
