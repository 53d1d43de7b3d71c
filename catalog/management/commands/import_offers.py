"""Import a provider's offers from a CSV file, all or nothing:

    manage.py import_offers offers.csv --provider SLUG [--as USERNAME]

One offer per row; the header names the offer API's fields (``name``,
``category``, ``cpv_code``, ``unit`` and ``unit_price`` required; country
lists as ``FR,DE``; booleans ``true``/``false``). Every row is validated as
the API validates an offer; one invalid row rejects the file and every
invalid row is listed (rows numbered from 1, after the header). Offers land
as drafts and are assessed after the import commits
(``catalog.services.offers_import``)."""

from __future__ import annotations

import csv

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog import services
from catalog.models import Provider


class Command(BaseCommand):
    help = "Import a provider's offers (drafts) from a CSV file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row (UTF-8).")
        parser.add_argument("--provider", required=True, help="The provider's slug.")
        parser.add_argument(
            "--as",
            dest="username",
            help="Import as this user (a member of the provider "
            "or an operator); default: the operator's command line.",
        )

    def handle(self, *args, file: str, provider: str, username: str | None, **options):
        owner = Provider.objects.filter(slug=provider).first()
        if owner is None:
            raise CommandError(f"No provider with slug {provider!r}.")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user {username!r}.")
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                ids = services.offers_import(
                    provider=owner, actor=actor, rows=csv.DictReader(handle)
                )
        except OSError as error:
            raise CommandError(str(error)) from None
        except services.CatalogError as error:
            lines = [str(error.message)]
            for field, messages in (error.fields or {}).items():
                # rows[0].name -> row 1 (the first after the header)
                if field.startswith("rows["):
                    index, _sep, rest = field[5:].partition("].")
                    field = f"row {int(index) + 1}, {rest}"
                lines.extend(f"  {field}: {message}" for message in messages)
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(
            f"Imported {len(ids)} offers for {owner.name} (drafts, assessed after commit)."
        )
