from django.core.management.base import BaseCommand, CommandError

from broker import services


class Command(BaseCommand):
    help = (
        "Verify the SHA-256 audit chain and check it against every published anchor "
        "(the signed daily heads); exit non-zero at the first broken link or at an "
        "anchor the chain no longer reaches (its tail was deleted)."
    )

    def handle(self, *args, **options):
        report = services.audit_verify_anchored()
        if report.broken_at is not None:
            raise CommandError(
                f"audit chain broken at event #{report.broken_at}: {report.reason} "
                f"({report.count} events read)"
            )
        if report.anchor_problems:
            raise CommandError(
                f"audit chain does not match its anchors ({report.count} events read):\n"
                + "\n".join(f"  {problem}" for problem in report.anchor_problems)
            )
        if not report.anchors_checked:
            self.stdout.write(f"audit chain ok: {report.count} events")
            self.stderr.write(
                "no anchor published yet: the tail of the chain is not anchored "
                "(manage.py audit_anchor publishes one)"
            )
            return
        anchors = report.anchors_checked
        self.stdout.write(
            f"audit chain ok: {report.count} events, "
            f"{anchors} anchor{'s' if anchors > 1 else ''} matched"
        )
