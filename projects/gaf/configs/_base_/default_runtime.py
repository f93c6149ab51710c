# The repository's runtime (visualizer, logger by iteration) with GAF's modules registered.
_base_ = '../../../../configs/_base_/default_runtime.py'

custom_imports = dict(imports=['vsgt', 'vsgt_projects.gaf.gaf'], allow_failed_imports=False)
default_scope = 'mmaction'
