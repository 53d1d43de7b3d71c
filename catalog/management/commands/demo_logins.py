from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.models import ProviderMembership


class Command(BaseCommand):
    help = "Print the demo logins (password: guichet-demo)."

    def handle(self, *args, **options):
        users = get_user_model().objects.filter(username__in=["operateur"])
        for user in users:
            self.stdout.write(f"    {user.username:<32} broker operator (admin at /admin/)")
        for membership in ProviderMembership.objects.select_related("user", "provider").filter(
            user__username__startswith="fournisseur-"
        ).order_by("user__username"):
            self.stdout.write(f"    {membership.user.username:<32} provider: {membership.provider.name}")
