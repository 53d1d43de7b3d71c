"""Running code at the same time from several database connections."""

import threading

from django.db import connection


def run_together(*functions, timeout: float = 60.0) -> list:
    """Call each function in its own thread (so on its own database
    connection), released together by a barrier; return what each returned
    or raised, in order. Needs a transactional test: the threads only see
    committed rows."""
    start = threading.Barrier(len(functions))
    outcomes: list = [None] * len(functions)

    def run(index, function):
        try:
            start.wait(timeout=timeout)
            outcomes[index] = function()
        except Exception as exc:  # the outcome is what the caller asserts
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
