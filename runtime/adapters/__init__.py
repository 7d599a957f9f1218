"""I/O adapters of the runtime: the ARI client (`ari`), and later TTS and ASR."""
