from django.apps import AppConfig


class BrokerConfig(AppConfig):
    name = "broker"
    verbose_name = "Broker"

    def ready(self) -> None:
        # Connect the receivers of the lower apps' domain events.
        from broker import receivers  # noqa: F401
