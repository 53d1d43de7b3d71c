from django.apps import AppConfig


class TendersConfig(AppConfig):
    name = "tenders"
    verbose_name = "Tenders"

    def ready(self):
        # Reuse: the catalogue shows which public bodies use an offer, and
        # only the demand side knows (catalog.selectors.offers_used_by).
        from catalog import selectors as catalog_selectors
        from tenders import selectors

        catalog_selectors.offer_usage_register(
            selectors.offers_used_by, count_sql=selectors.offer_usage_count_sql
        )
