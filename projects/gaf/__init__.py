"""GAF: generative attention on feature semantics for temporal action detection (on AFSD)."""
