"""Write the open contracting data (OCDS 1.1) of every published tender to
DIR: ``DIR/releases.json`` (one release package of every release, in date
order) and ``DIR/records/<ocid>.json`` (one record package per process)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenders import ocds


def write_atomically(target: Path, text: str) -> None:
    # Written beside the target then renamed: a reader (a publishing cron,
    # a web server) never sees half a file.
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CommandError(f"cannot write {target}: {exc}") from exc


class Command(BaseCommand):
    help = "Write OCDS 1.1 release and record packages of every published tender to DIR."

    def add_arguments(self, parser):
        parser.add_argument("dir", help="Output folder (created if missing).")
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="Where DIR will be published (e.g. https://data.example.gouv.fr/ocds/): the packages' "
            "uri then point there. Without it they are file: URIs of the written files.",
        )

    def handle(self, *args, **options):
        folder = Path(options["dir"]).resolve()
        records_dir = folder / "records"
        try:
            records_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot create {records_dir}: {exc}") from exc
        base = options["base_url"]
        if base and not base.endswith("/"):
            base += "/"

        def uri(target: Path) -> str:
            return base + target.relative_to(folder).as_posix() if base else target.as_uri()

        releases, records = [], 0
        for process in ocds.iter_tender_releases():
            target = records_dir / f"{process[0]['ocid']}.json"
            write_atomically(
                target,
                ocds.dumps(ocds.record_package([ocds.record(process)], uri=uri(target))) + "\n",
            )
            releases.extend(process)
            records += 1
        if not releases:
            # A package with no release is invalid (schema minItems): write none.
            self.stdout.write("export_ocds: no published tender, nothing written.")
            return
        target = folder / "releases.json"
        package = ocds.release_package(ocds.date_order(releases), uri=uri(target))
        write_atomically(target, ocds.dumps(package) + "\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"export_ocds: {len(releases)} release(s) in {target}, {records} record(s) in {records_dir}"
            )
        )
