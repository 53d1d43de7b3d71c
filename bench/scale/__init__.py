"""The benchmark seeder behind ``python -m bench.seed_scale``: ``load``
runs the load, ``providers`` and ``market`` write the rows, ``sql`` holds
the COPY and schema plumbing, ``data`` the vocabulary. Dev only: nothing
in the product imports it."""
