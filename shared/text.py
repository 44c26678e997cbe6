"""Text that every output format can carry."""

from __future__ import annotations

import re

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except the
# surrogates and U+FFFE/U+FFFF. Anything else (\x0b, \x00, ...) makes a document
# unparseable, so it is refused or stripped before it reaches one.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_illegal_characters(text: str) -> list[str]:
    """The characters of `text` that XML 1.0 does not allow, in order."""
    return _XML_ILLEGAL.findall(text)


def strip_xml_illegal(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)
