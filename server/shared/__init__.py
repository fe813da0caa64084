"""The shared state every worker sees (the log and the World), and the homes it can live in."""
