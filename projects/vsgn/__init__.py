"""VSGN: Video Self-Stitching Graph Network for temporal action localization (ICCV 2021)."""
