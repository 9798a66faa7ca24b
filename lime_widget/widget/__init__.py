"""The explorer (anywidget) split by job, and the comparison of two models."""
