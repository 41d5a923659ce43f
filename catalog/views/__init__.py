"""Catalog pages. Views parse requests and call services and managers."""

from catalog.views.adding import (
    add_by_camera,
    add_by_photo,
    add_by_scanner,
    add_many,
    book_lookup,
    search,
)
from catalog.views.corrections import book_correct
from catalog.views.export import export_csv, export_json, export_page, export_zip
from catalog.views.found import add_one, found_books
from catalog.views.imports import (
    import_arrived,
    import_detail,
    import_failed_rows,
    import_status,
    imports_page,
)
from catalog.views.library import (
    book_add,
    book_cards,
    book_cover,
    book_detail,
    book_details_fragment,
    book_list,
    book_refresh,
    book_remove,
    home,
)
from catalog.views.listing import books_set_status, library_view
from catalog.views.loans import book_borrow, book_lend, book_return, loans_page
from catalog.views.locations import locations_page
from catalog.views.quick import book_set
from catalog.views.readings import book_progress, book_read_again, book_reading
from catalog.views.removal import books_remove, undo_remove
from catalog.views.series_page import book_series_accept, series_list, series_page
from catalog.views.tag_page import (
    counters_rebuild,
    tag_delete,
    tag_job_status,
    tag_names,
    tag_rename,
    tags_page,
)
from catalog.views.tags import book_tags, books_tag

__all__ = [
    "add_by_camera",
    "add_by_photo",
    "add_by_scanner",
    "add_many",
    "add_one",
    "book_add",
    "book_borrow",
    "book_cards",
    "book_correct",
    "book_cover",
    "book_detail",
    "book_details_fragment",
    "book_lend",
    "book_list",
    "book_lookup",
    "book_progress",
    "book_read_again",
    "book_reading",
    "book_refresh",
    "book_remove",
    "book_return",
    "book_series_accept",
    "book_set",
    "book_tags",
    "books_remove",
    "books_set_status",
    "books_tag",
    "counters_rebuild",
    "export_csv",
    "export_json",
    "export_page",
    "export_zip",
    "found_books",
    "home",
    "import_arrived",
    "import_detail",
    "import_failed_rows",
    "import_status",
    "imports_page",
    "library_view",
    "loans_page",
    "locations_page",
    "search",
    "series_list",
    "series_page",
    "tag_delete",
    "tag_job_status",
    "tag_names",
    "tag_rename",
    "tags_page",
    "undo_remove",
]
