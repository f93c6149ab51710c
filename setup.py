"""Packages: ``vsgt`` and the models of ``projects/``, installed as ``vsgt_projects``.

Everything else is in ``pyproject.toml``; this file only maps the ``projects/`` folder to a
package name that cannot clash with another distribution's generic ``projects``.
"""
from setuptools import find_packages, setup

PROJECTS = ['vsgt_projects' + name[len('projects'):]
            for name in find_packages(include=['projects', 'projects.*'])]

setup(packages=find_packages(include=['vsgt', 'vsgt.*']) + PROJECTS,
      package_dir={'vsgt_projects': 'projects'})
