_base_ = 'mmaction::_base_/default_runtime.py'

# Registers VSGT's modules (and applies vsgt.compat) in every process that reads a config.
custom_imports = dict(imports=['vsgt'], allow_failed_imports=False)

# Scalars (losses, learning rate, metrics) go to <work_dir>/<timestamp>/vis_data/: scalars.json
# (LocalVisBackend; tools/analysis/plot_curves.py reads it) and TensorBoard event files
# (`tensorboard --logdir work_dirs`). Validation metrics are logged at the training iteration
# (mmengine's default, the epoch, puts every validation of an iteration-based loop at step 0),
# so they share the x axis of the training scalars.
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
default_hooks = dict(logger=dict(log_metric_by_epoch=False))
