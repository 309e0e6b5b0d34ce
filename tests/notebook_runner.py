"""Run a notebook with nbclient, waiting for replies in one-second slices (adlab.notebook_execution says why)."""

from __future__ import annotations

from nbclient import NotebookClient

from adlab.notebook_execution import SlicedKernelManager


def run_notebook(notebook, folder, timeout=300, **options):
    """Execute every cell in a fresh python3 kernel started in `folder`; errors stay in the outputs.

    `options` go to nbclient's NotebookClient (e.g. its hooks, ``on_cell_executed``).
    """
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                   kernel_manager_class=SlicedKernelManager,
                   resources={"metadata": {"path": str(folder)}}, **options).execute()
    return notebook
