"""The Dask tests' cluster: a real `distributed.LocalCluster` of two single-threaded
worker *processes*, so every task argument and result crosses a process boundary by
pickle (nothing unpicklable hides in the graph, and a warning raised in a task stays in
its worker). Each test module starts one for itself (a module-scoped fixture)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster


@contextmanager
def cluster_client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # (The scheduler serves HTTP even without a dashboard, on 8787 by default: a
            # port another cluster on the machine may hold, which it warns of, an error
            # under the tests' warning filter. Any free port instead.)
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
