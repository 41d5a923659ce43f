from catalog.merge import three_way

BASE = {"status": "want", "rating": None, "notes": "old"}


def test_changes_made_only_here_are_applied():
    merge = three_way(BASE, BASE, {**BASE, "status": "reading"})
    assert merge.changes == {"status": "reading"}
    assert not merge.conflicts and not merge.changed_elsewhere


def test_changes_made_only_elsewhere_are_kept_and_named():
    stored = {**BASE, "rating": 4.5, "notes": "new"}
    merge = three_way(BASE, stored, {**BASE, "status": "reading"})
    assert merge.changes == {"status": "reading"}
    assert merge.changed_elsewhere == ["rating", "notes"]
    assert not merge.conflicts


def test_the_same_change_on_both_sides_is_no_conflict():
    stored = {**BASE, "notes": "same"}
    merge = three_way(BASE, stored, {**BASE, "notes": "same"})
    assert merge.changes == {} and not merge.conflicts
    assert merge.changed_elsewhere == ["notes"]


def test_different_changes_to_one_field_are_a_conflict():
    stored = {**BASE, "notes": "theirs"}
    merge = three_way(BASE, stored, {**BASE, "notes": "mine", "status": "read"})
    assert merge.conflicts == {"notes": ("theirs", "mine")}
    assert merge.changes == {"status": "read"}
