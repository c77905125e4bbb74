"""Load and scale benchmarks; each prints its figures and the ratio to a reference from the same run."""
