"""Run a notebook with nbclient, waiting for replies in short slices.

nbclient waits for a cell's reply with one long poll on the kernel's shell socket.
Under load that poll can miss the socket's (edge-triggered) wake-up and sit idle
until its timeout although the reply has arrived (nbclient issue 312). A new poll
first checks whether a message is already waiting, so polling in one-second
slices never loses a reply; the total time allowed is unchanged.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.channels import AsyncZMQSocketChannel
from nbclient import NotebookClient

SLICE = 1.0  # seconds
_get_msg = AsyncZMQSocketChannel.get_msg


async def _get_msg_in_slices(self, timeout=None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = SLICE if deadline is None else min(SLICE, max(0.0, deadline - time.monotonic()))
        try:
            return await _get_msg(self, timeout=wait)
        except Empty:
            if deadline is not None and time.monotonic() >= deadline:
                raise


AsyncZMQSocketChannel.get_msg = _get_msg_in_slices


def run_notebook(notebook, folder, timeout=300):
    """Execute every cell in a fresh python3 kernel started in `folder`; errors stay in the outputs."""
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook
