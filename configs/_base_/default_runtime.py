_base_ = 'mmaction::_base_/default_runtime.py'

# Registers VSGT's modules (and applies vsgt.compat) in every process that reads a config.
custom_imports = dict(imports=['vsgt'], allow_failed_imports=False)
