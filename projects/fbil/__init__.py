"""FBIL project (package ``projects.fbil.fbil``)."""
