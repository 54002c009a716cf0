"""Training of the node's generators (PyTorch from Debian); see docs/models.md."""
