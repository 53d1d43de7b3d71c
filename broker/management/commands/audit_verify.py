from django.core.management.base import BaseCommand, CommandError

from broker import services


class Command(BaseCommand):
    help = "Verify the SHA-256 audit chain; exit non-zero at the first broken link."

    def handle(self, *args, **options):
        report = services.audit_verify()
        if report.broken_at is not None:
            raise CommandError(
                f"audit chain broken at event #{report.broken_at}: {report.reason} "
                f"({report.count} events read)"
            )
        self.stdout.write(f"audit chain ok: {report.count} events")
