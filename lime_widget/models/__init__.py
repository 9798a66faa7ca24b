"""Classifier adapters, the model zoo, torch thread settings, the teaching dataset and CNN."""
