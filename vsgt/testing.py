"""Helpers for the test suites of ``tests/`` and ``projects/*/tests/``: running the tools."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# --cfg-options that load data in the tool's own process (no worker processes to start).
SINGLE_PROCESS = [
    f'{loader}.{option}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for option in ('num_workers=0', 'persistent_workers=False')
]


def run_tool(script, *args, cwd, env=None, timeout=600):
    """Run ``tools/<script>`` with this interpreter in ``cwd``; return the CompletedProcess."""
    command = [sys.executable, osp.join(ROOT, 'tools', script), *map(str, args)]
    if script.endswith('.sh'):
        command = ['bash', osp.join(ROOT, 'tools', script), *map(str, args)]
    full_env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def run_in_process(capsys, tool, *argv):
    """Run a tool module's ``main`` through ``run_cli``; return (exit code, stdout, stderr)."""
    from vsgt.utils.launch import run_cli
    try:
        run_cli(tool.main, [str(arg) for arg in argv])
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err
