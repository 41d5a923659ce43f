from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.throttling import create_cache_tables

        # The throttles' shared cache: `migrate` (make run, make dev) builds it.
        post_migrate.connect(create_cache_tables, sender=self)
