"""The command line and the IPython magic."""
