"""Write the DECP 2.0.3 document — every awarded tender and accepted direct
purchase at or above DECP_THRESHOLD — to FILE, or to standard output with -."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenders import decp
from tenders.management.commands.export_ocds import write_atomically
from tenders.models import Agency


class Command(BaseCommand):
    help = (
        "Write the DECP 2.0.3 JSON document (essential procurement data) to FILE, or - for stdout."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Output path, or - for standard output.")
        parser.add_argument("--agency", metavar="SLUG", help="Only this buyer's contracts.")

    def handle(self, *args, **options):
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(slug=options["agency"]).first()
            if agency is None:
                raise CommandError(f"no agency with slug {options['agency']!r}")
        doc = decp.decp_document(agency=agency)
        text = decp.dumps(doc) + "\n"
        if options["file"] == "-":
            self.stdout.write(text, ending="")
            return
        target = Path(options["file"])
        write_atomically(target, text)
        count = len(doc["marches"]["marche"])
        self.stdout.write(self.style.SUCCESS(f"export_decp: {count} marché(s) written to {target}"))
