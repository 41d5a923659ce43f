from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("home", views.home, name="home-alias"),
    path("books/", views.book_list, name="book-list"),
    path("books/cards/", views.book_cards, name="book-cards"),
    path("books/view/", views.library_view, name="library-view"),
    path("books/status/", views.books_set_status, name="books-status"),
    path("books/lookup/", views.book_lookup, name="book-lookup"),
    path("books/add/", views.book_add, name="book-add"),
    path("books/add/search/", views.search, name="add-search"),
    path("books/add/photo/", views.add_by_photo, name="add-photo"),
    path("books/add/camera/", views.add_by_camera, name="add-camera"),
    path("books/add/scanner/", views.add_by_scanner, name="add-scanner"),
    path("books/add/many/", views.add_many, name="add-many"),
    path("books/add/one/", views.add_one, name="add-one"),
    path("books/add/found/", views.found_books, name="add-found"),
    path("books/remove/", views.books_remove, name="books-remove"),
    path("books/tag/", views.books_tag, name="books-tag"),
    path("books/undo/<str:token>/", views.undo_remove, name="undo-remove"),
    path("books/<str:key>/", views.book_detail, name="book-detail"),
    path("books/<str:key>/details/", views.book_details_fragment, name="book-details"),
    path("books/<str:key>/refresh/", views.book_refresh, name="book-refresh"),
    path("books/<str:key>/cover/", views.book_cover, name="book-cover"),
    path("books/<str:key>/correct/", views.book_correct, name="book-correct"),
    path("books/<str:key>/remove/", views.book_remove, name="book-remove"),
    path("books/<str:key>/set/", views.book_set, name="book-set"),
    path(
        "books/<str:key>/readings/again/",
        views.book_read_again,
        name="book-read-again",
    ),
    path(
        "books/<str:key>/readings/<int:reading_id>/",
        views.book_reading,
        name="book-reading",
    ),
    path("books/<str:key>/progress/", views.book_progress, name="book-progress"),
    path("books/<str:key>/lend/", views.book_lend, name="book-lend"),
    path("books/<str:key>/borrow/", views.book_borrow, name="book-borrow"),
    path("books/<str:key>/return/", views.book_return, name="book-return"),
    path("loans/", views.loans_page, name="loans"),
    path("locations/", views.locations_page, name="locations"),
    path("books/<str:key>/tags/", views.book_tags, name="book-tags"),
    path("tags/", views.tags_page, name="tags"),
    path("tags/names/", views.tag_names, name="tag-names"),
    path("tags/rename/", views.tag_rename, name="tag-rename"),
    path("tags/delete/", views.tag_delete, name="tag-delete"),
]
