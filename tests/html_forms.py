"""Read a form off a page as a browser would submit it, without a browser.

It follows what the HTML standard says a browser does: the parser turns CR
and CRLF into LF and drops a textarea's first newline; a text box drops line
breaks and a date box anything but YYYY-MM-DD; a select with nothing selected
submits its first option; only ticked boxes are sent; and every submitted value
ends its lines with CRLF.
"""

import re
from html.parser import HTMLParser

_DATE = re.compile(r"\d{4,}-\d\d-\d\d")


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, str] = {}
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: dict | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            self._input(name, attrs)
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = {"attrs": attrs, "text": []}
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def _input(self, name: str, attrs: dict) -> None:
        kind = attrs.get("type", "text").lower()
        value = attrs.get("value", "")
        if kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self.values[name] = attrs.get("value", "on")
        elif kind in ("submit", "button", "image", "reset", "file"):
            return
        elif kind == "date":
            self.values[name] = value if _DATE.fullmatch(value) else ""
        elif kind == "hidden":
            self.values[name] = value
        else:
            self.values[name] = value.replace("\n", "").replace("\r", "")

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._option is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, options = self._select
            chosen = [value for value, selected in options if selected]
            if chosen or options:
                # The last selected option wins; with none, the first one.
                self.values[name] = chosen[-1] if chosen else options[0][0]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.values[name] = text[1:] if text.startswith("\n") else text
            self._textarea = None

    def _end_option(self):
        if self._option is None:
            return
        attrs, text = self._option["attrs"], "".join(self._option["text"])
        value = attrs["value"] if "value" in attrs else " ".join(text.split())
        self._select[1].append((value, "selected" in attrs))
        self._option = None


def form_values(html: str, form_id: str) -> dict[str, str]:
    """Return what submitting the form ``form_id`` unchanged would send."""
    reader = _FormReader(form_id)
    reader.feed(html.replace("\r\n", "\n").replace("\r", "\n"))
    reader.close()
    return {name: value.replace("\n", "\r\n") for name, value in reader.values.items()}
