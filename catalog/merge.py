"""Three-way merge of a record's fields after a stale edit.

An editor loaded a record, changed some fields and submitted; meanwhile the
stored record moved on. Comparing what the editor loaded, what is stored now
and what the editor submitted tells which fields each side changed: changes
made on one side only are kept, and a field both sides changed to different
values is a conflict for the person to settle. Nothing the editor did not
touch is ever written.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Merge:
    """The outcome of ``three_way``.

    ``changes`` are the editor's own changes that can be applied to the stored
    record as it is now; ``changed_elsewhere`` names the fields the other side
    changed (kept as stored); ``conflicts`` maps each field both sides changed,
    differently, to ``(stored value, submitted value)``.
    """

    changes: dict[str, Any] = field(default_factory=dict)
    changed_elsewhere: list[str] = field(default_factory=list)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def three_way(
    loaded: Mapping[str, Any], stored: Mapping[str, Any], submitted: Mapping[str, Any]
) -> Merge:
    """Merge the editor's ``submitted`` values onto ``stored``, given ``loaded``.

    Only the fields in ``submitted`` are considered; ``loaded`` and ``stored``
    must hold those fields too.
    """
    merge = Merge()
    for name, mine in submitted.items():
        base, theirs = loaded[name], stored[name]
        edited_here, edited_there = mine != base, theirs != base
        if edited_there:
            merge.changed_elsewhere.append(name)
        if not edited_here or mine == theirs:
            continue
        if edited_there:
            merge.conflicts[name] = (theirs, mine)
        else:
            merge.changes[name] = mine
    return merge
