"""Auditing a dataset on Dask: running, items, the table, the manifest, the gallery."""
