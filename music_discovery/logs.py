"""The text log format: one line per record, whatever the record's message holds.

A message can quote client input (a request path, where `%0a` decodes to a newline): written
as is, it could end the line and start a forged one. Control characters in the message are
written as escapes instead (`\\n`, `\\r`, `\\x1b`...), and backslashes doubled so that an escape
read in the log was one. Tracebacks, which follow the message on lines of their own, are ours
and are left as they are. The JSON format needs none of this: JSON escapes them already.
"""

from __future__ import annotations

import logging
import re

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    return _UNSAFE.sub(_escape, text)


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
