"""FBIL project (package ``vsgt_projects.fbil.fbil``)."""
