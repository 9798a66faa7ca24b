"""Explaining: composition, configuration, presets, sampling rounds, Explanation, explain, predict."""
