from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.models import ProviderMembership
from tenders.models import AgencyMembership


class Command(BaseCommand):
    help = "Print the demo logins (password: guichet-demo)."

    def handle(self, *args, **options):
        for user in get_user_model().objects.filter(username="operateur"):
            self.stdout.write(f"    {user.username:<34} broker operator (admin at /admin/)")
        for membership in (
            AgencyMembership.objects.select_related("user", "agency")
            .filter(user__username__startswith="acheteur")
            .order_by("user__username")
        ):
            self.stdout.write(f"    {membership.user.username:<34} buyer: {membership.agency.name}")
        for membership in (
            ProviderMembership.objects.select_related("user", "provider")
            .filter(user__username__startswith="fournisseur-")
            .order_by("user__username")
        ):
            self.stdout.write(
                f"    {membership.user.username:<34} provider: {membership.provider.name}"
            )
