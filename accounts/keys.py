"""The keys that make usernames and emails unique as a person reads them.

Two names are the same account when they differ only by case or by Unicode
compatibility forms ("Élise" and "élise", "ＡＮＮ" and "ann"): the key is the
NFKC form of the case fold of the NFKC form. Both user backends store and look
up by it, so the store itself refuses a second account; SQL's ``LOWER`` (ASCII
only on SQLite) is never asked.
"""

import unicodedata

# An account that shared its key with an older one before keys existed keeps
# a unique key of its own: the shared key, this separator and its id. Neither
# a username nor an email can contain a newline.
LEGACY_SEPARATOR = "\n"


def fold(value: str) -> str:
    """Return the key of a username or email (NFKC, case fold, NFKC)."""
    folded = unicodedata.normalize("NFKC", value or "").casefold()
    return unicodedata.normalize("NFKC", folded)


def key_matches(key: str, value: str) -> bool:
    """Tell whether a stored key still belongs to this value (legacy keys too)."""
    return key.partition(LEGACY_SEPARATOR)[0] == fold(value)


KEY_FIELDS = (("username", "username_key"), ("email", "email_key"))


def fill_keys(user) -> list[str]:
    """Set the user's keys from username and email; return the key fields changed."""
    changed = []
    for field, key_field in KEY_FIELDS:
        value, key = getattr(user, field), getattr(user, key_field)
        if not key_matches(key, value):
            setattr(user, key_field, fold(value))
            changed.append(key_field)
    return changed
