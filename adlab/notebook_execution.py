"""Running notebooks with nbclient (nbgrader's Execute is one) without waiting on a widget.

nbclient waits for a cell's reply with one long poll on the kernel's shell socket.
In a cell whose outputs go into an Output widget (every ``interact``), nbclient's
stand-in for that widget sends ``comm_msg`` updates on the same socket while the
poll waits, and under load the poll's wake-up is sometimes lost: the reply sits
unread until the poll's timeout (nbgrader's is 300 s a cell in adlab's
configuration), then the run goes on as if nothing happened (nbclient issue 312;
measured on 2 cores under load: 6 of 120 interact cells, none of 120 with the
stand-in switched off; tests/test_long_cells.py). A new poll first checks whether
a message is already waiting, so polling in one-second slices loses at most a
slice; the total time allowed is unchanged.

``SlicedKernelManager`` gives its clients a shell channel that polls so; pass it as
nbclient's ``kernel_manager_class`` (adlab's nbgrader Execute does,
adlab.nbgrader_course.autograde_preprocessors). Only the shell socket is both sent
on and polled, so the other channels are jupyter_client's own.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import DottedObjectName, Type

__all__ = ["SLICE", "SlicedKernelManager", "SlicedKernelClient", "SlicedShellChannel", "get_msg_in_slices"]

SLICE = 1.0  # seconds


async def get_msg_in_slices(get_msg, timeout=None):
    """``await get_msg(timeout)``, asked again every SLICE seconds until a message or the whole timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = SLICE if deadline is None else min(SLICE, max(0.0, deadline - time.monotonic()))
        try:
            return await get_msg(timeout=wait)
        except Empty:
            if deadline is not None and time.monotonic() >= deadline:
                raise


class SlicedShellChannel(AsyncZMQSocketChannel):
    """A shell channel whose wait for a message is a series of one-second polls (see the module's docstring)."""

    async def get_msg(self, timeout=None):
        return await get_msg_in_slices(super().get_msg, timeout)


class SlicedKernelClient(AsyncKernelClient):
    """jupyter_client's async client with a SlicedShellChannel."""

    shell_channel_class = Type(SlicedShellChannel)


class SlicedKernelManager(AsyncKernelManager):
    """jupyter_client's async kernel manager, whose clients are SlicedKernelClients."""

    client_class = DottedObjectName("adlab.notebook_execution.SlicedKernelClient")
    client_factory = Type(SlicedKernelClient, klass=AsyncKernelClient)
