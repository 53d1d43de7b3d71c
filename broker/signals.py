"""Domain events of the broker itself. Its services announce work to be
sent after commit; ``broker/receivers.py`` enqueues the tasks. Tasks
import services, never the reverse: a service that imported the tasks to
enqueue them would close the circle."""

from django.dispatch import Signal

# Webhook delivery attempts are due (new deliveries, a manual redelivery).
# Sent inside the transaction that wrote them; they are sent after it
# commits. Arguments: attempts (list of (delivery id, attempt number)).
webhook_attempts_due = Signal()
