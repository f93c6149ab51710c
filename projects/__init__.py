"""Models built on VSGT and mmaction2, one package each (``projects.<name>.<name>``)."""
