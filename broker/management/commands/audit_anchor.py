from django.core.management.base import BaseCommand

from broker import services


class Command(BaseCommand):
    help = (
        "Publish today's anchor of the audit chain now (the beat does it daily); "
        "if today's is already published, it changes nothing and prints it."
    )

    def handle(self, *args, **options):
        anchor, published = services.audit_anchor_publish()
        verb = "published" if published else "already published"
        self.stdout.write(
            f"anchor {anchor.day} {verb}: {anchor.event_count} events, "
            f"last #{anchor.last_event_id} {anchor.last_hash} ({anchor.file})"
        )
