"""Where the repository and the shared data are, for every training script (no heavy imports)."""
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DATA = os.path.join(REPO, "..", "shared", "data", "ct")
