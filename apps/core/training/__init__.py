"""The training platform shared by every model kind: a run registry, trainers, artifacts."""
