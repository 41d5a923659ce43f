"""The Django admin over the manager layer, for models whose backend is not SQL.

Locally every admin page is Django's own. On AWS mode accounts and the catalog
live in DynamoDB, so ``ManagerAdminMixin`` keeps Django's admin pages and
templates and replaces only what would query SQL:

* the change list reads the manager's whole-table listing (a Scan, which only
  the admin may make), then searches, filters, orders and pages it in Python;
* one object is fetched, saved and deleted through the manager;
* a save the store refuses after the form's checks (``SaveRefused``) shows the
  form again with the message, on either backend;
* the history goes to DynamoDB (``history``);
* there are no bulk actions and no date drill-down, and the filters are the
  ones that need no query (choices, yes/no, dates).

An admin using it says which backend its model uses (``uses_orm``) and how
to list, fetch and delete through the manager (``manager_*``).
"""

from booklibrary.manager_admin.listing import ManagerChangeList
from booklibrary.manager_admin.options import ManagerAdminMixin, SaveRefused

__all__ = ["ManagerAdminMixin", "ManagerChangeList", "SaveRefused"]
