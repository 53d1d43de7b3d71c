from django.core.management.base import BaseCommand

from broker import services


class Command(BaseCommand):
    help = (
        "Export the audit chain to FILE ('-' for the standard output), one JSON event a "
        "line, for `python -m broker.audit_offline FILE ANCHOR.json`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the export; '-' for stdout")

    def handle(self, *args, file: str, **options):
        if file == "-":
            services.audit_export(out=self.stdout)
            return
        with open(file, "w", encoding="utf-8", newline="\n") as out:
            count = services.audit_export(out=out)
        self.stdout.write(f"exported {count} audit events to {file}")
