"""Reading small YAML and JSON documents written by people: plans and mapping files.

Part of the bottom layer (imports nothing of copfactors but :mod:`copfactors.errors`; PyYAML
and the standard library only). A plan or a mapping file comes from a user, who may have been
sent it by someone else, so every reader here bounds the work a file can cause before doing it:

- the document's size in bytes is checked before it is parsed (:func:`read_limited` reads at
  most one byte more than allowed, so a huge file or a device is never read whole);
- YAML anchors and aliases are refused (an anchor or an alias is an error naming its line):
  nested aliases let a few hundred bytes expand to gigabytes, and a plan never needs them;
- a key given twice in one mapping (YAML) or object (JSON) is refused, naming the key and,
  for YAML, its line, instead of the last one silently winning;
- nesting is capped at ``max_depth`` levels (:data:`MAX_DEPTH`);
- integers beyond :data:`MAX_INT` in magnitude (and integer literals longer than
  :data:`MAX_INT_CHARS` characters, refused before they are converted) are refused; in JSON,
  numbers that overflow to infinity and the bare tokens ``NaN``/``Infinity`` are refused too.

Every problem is raised as the caller's error class (``PlanError`` for plans, ``MappingError``
for mappings), with a message naming the source and never quoting more than :data:`SHORT`
characters of a value (:func:`short`).

Examples
--------
>>> from copfactors.errors import PlanError
>>> from copfactors._utils.safeyaml import load_yaml
>>> load_yaml("composition:\\n  n_members: 5\\n", error=PlanError, source="plan.yaml")
{'composition': {'n_members': 5}}
>>> load_yaml("a: &x 1\\nb: *x\\n", error=PlanError, source="plan.yaml")
Traceback (most recent call last):
...
copfactors.errors.PlanError: plan.yaml, line 1: the anchor &x is not allowed (anchors and \
aliases are refused, so a small file cannot expand to a huge one); write the value out
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from copfactors.errors import CopFactorsError

__all__ = [
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_INT_CHARS",
    "SHORT",
    "check_depth",
    "load_json",
    "load_yaml",
    "read_limited",
    "short",
]

#: Deepest nesting of mappings and lists a document may have (a plan needs 4).
MAX_DEPTH = 50
#: Largest magnitude of an integer a document may hold: 2**53, above which integers are no
#: longer exact as floating-point numbers (no count, code or scale point comes near it).
MAX_INT = 2**53
#: Longest integer literal converted at all (longer ones are refused before conversion).
MAX_INT_CHARS = 40
#: Longest part of a value quoted in an error message.
SHORT = 80

_MERGE_TAG = "tag:yaml.org,2002:merge"


def short(value: Any, width: int = SHORT) -> str:
    """``repr(value)``, cut to ``width`` characters (``...`` and the full length if cut).

    Large containers are not rendered whole: only their start is looked at.

    Parameters
    ----------
    value : object
    width : int, default 80

    Returns
    -------
    str

    Examples
    --------
    >>> short("abc")
    "'abc'"
    >>> short("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (1002 characters)"
    >>> short(list(range(10**6)))[-24:]
    '... (a list of 1000000)'
    """  # noqa: E501
    if isinstance(value, list | tuple | dict | set) and len(value) > width:
        head = list(value)[:width] if not isinstance(value, list) else value[:width]
        text = repr(head)
        return f"{text[:width]}... (a {type(value).__name__} of {len(value)})"
    if isinstance(value, str) and len(value) > 4 * width:
        text = repr(value[: 2 * width])
        return f"{text[:width]}... ({len(value) + 2} characters)"
    text = repr(value)
    if len(text) <= width:
        return text
    return f"{text[:width]}... ({len(text)} characters)"


def read_limited(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    error: type[CopFactorsError],
    what: str,
) -> bytes:
    """The bytes of a file, refused when it holds more than ``max_bytes``.

    The size is checked before reading (a regular file's size; anything else, e.g. a pipe or a
    device, is read up to ``max_bytes + 1`` bytes), so a huge file is never read whole.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int
        Largest size accepted, in bytes.
    error : type of CopFactorsError
        Raised for a missing, unreadable or too large file.
    what : str
        What the file is, starting the messages (``"plan file"``).

    Returns
    -------
    bytes

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from copfactors.errors import PlanError
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
    >>> _ = path.write_text("x" * 2000)
    >>> read_limited(path, max_bytes=1000, error=PlanError, what="plan file")
    Traceback (most recent call last):
    ...
    copfactors.errors.PlanError: plan file ...plan.yaml is 2000 bytes, more than the 1000 \
allowed (max_bytes)
    """
    path = Path(path)
    limit = _check_limit(max_bytes, error)
    try:
        size = path.stat().st_size
        if path.is_file() and size > limit:
            raise error(_too_large(f"{what} {path}", size, limit))
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a folder, not a file") from None
    except OSError as err:
        raise error(f"{what} {path} cannot be read: {err.strerror or err}") from None
    if len(data) > limit:
        raise error(f"{what} {path} holds more than the {limit} bytes allowed (max_bytes)")
    return data


def _check_limit(max_bytes: Any, error: type[CopFactorsError]) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise error(f"max_bytes must be a positive integer, got {short(max_bytes)}")
    return max_bytes


def _too_large(what: str, size: int, limit: int, *, at_least: bool = False) -> str:
    bound = "at least " if at_least else ""
    return f"{what} is {bound}{size} bytes, more than the {limit} allowed (max_bytes)"


def _check_size(text: str | bytes, limit: int, error: type[CopFactorsError], source: str) -> None:
    if isinstance(text, bytes):
        size, at_least = len(text), False
    elif len(text) > limit:  # every character is at least one byte: no need to encode it all
        size, at_least = len(text), True
    else:
        size, at_least = len(text.encode("utf-8", "surrogatepass")), False
    if size > limit:
        raise error(_too_large(source, size, limit, at_least=at_least))


# ---------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------
class _Refused(Exception):
    """Internal: a document refused by :class:`_SafeLoader`, with its message."""


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors, aliases, merge keys, duplicate keys, deep
    nesting or huge integers."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"line {line}: the alias *{_name(event.anchor)} is not allowed (anchors and "
                "aliases are refused, so a small file cannot expand to a huge one); write the "
                "value out"
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                f"line {line}: the anchor &{_name(anchor)} is not allowed (anchors and "
                "aliases are refused, so a small file cannot expand to a huge one); write the "
                "value out"
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _Refused(
                    f"line {line}: nested more than {self.max_depth} levels deep (max_depth)"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == _MERGE_TAG:
                    raise _Refused(f"line {line}: merge keys (<<) are not allowed")
                key = self.construct_object(key_node, deep=True)
                try:
                    repeated = key in seen
                except TypeError:
                    raise _Refused(
                        f"line {line}: a key must be text or a number, got {type(key).__name__}"
                    ) from None
                if repeated:
                    raise _Refused(
                        f"line {line}: the key {short(key)} is given twice in one mapping; "
                        "give each key once"
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        line = node.start_mark.line + 1
        if len(text) > MAX_INT_CHARS:
            raise _Refused(
                f"line {line}: an integer of {len(text)} characters is too large (at most "
                f"{MAX_INT} in magnitude)"
            )
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_INT:
            raise _Refused(
                f"line {line}: the integer {short(value)} is too large (at most {MAX_INT} in "
                "magnitude)"
            )
        return value


_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_yaml_int)


def _name(anchor: str) -> str:
    return anchor if len(anchor) <= 40 else anchor[:40] + "..."


def _yaml_problem(err: yaml.YAMLError) -> str:
    """A YAML syntax error in a few words with its line, never quoting a long value."""
    if isinstance(err, yaml.MarkedYAMLError):
        parts = [p for p in (err.context, err.problem) if p]
        text = "; ".join(_cut(p) for p in parts) or "invalid YAML"
        mark = err.problem_mark or err.context_mark
        if mark is not None:
            text += f" (line {mark.line + 1}, column {mark.column + 1})"
        return text
    return _cut(str(err))


def _cut(text: str, width: int = 2 * SHORT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width] + "..."


def load_yaml(
    text: str | bytes,
    *,
    error: type[CopFactorsError],
    source: str,
    max_bytes: int = 1_000_000,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse one YAML document safely (see the module's description for what is refused).

    Parameters
    ----------
    text : str or bytes
        The document (bytes are decoded as UTF-8).
    error : type of CopFactorsError
        Raised for every problem.
    source : str
        Where the document comes from, starting every message (``"plan file plan.yaml"``).
    max_bytes : int, default 1_000_000
        Largest document accepted, in bytes (UTF-8), checked before parsing.
    max_depth : int, default 50
        Deepest nesting of mappings and lists.

    Returns
    -------
    object
        The document's content (None for an empty document).

    Examples
    --------
    >>> from copfactors.errors import MappingError
    >>> load_yaml("a: 1\\na: 2\\n", error=MappingError, source="mapping.yaml")
    Traceback (most recent call last):
    ...
    copfactors.errors.MappingError: mapping.yaml, line 2: the key 'a' is given twice in one \
mapping; give each key once
    >>> load_yaml("n: " + "9" * 100, error=MappingError, source="m")
    Traceback (most recent call last):
    ...
    copfactors.errors.MappingError: m, line 1: an integer of 100 characters is too large (at \
most 9007199254740992 in magnitude)
    """
    _check_size(text, _check_limit(max_bytes, error), error, source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise error(f"{source} is not UTF-8 text (byte {err.start})") from None
    loader = None
    try:
        loader = _SafeLoader(text)
        loader.max_depth = max_depth
        return loader.get_single_data()
    except _Refused as err:
        raise error(f"{source}, {err}") from None
    except yaml.YAMLError as err:
        raise error(f"{source} is not valid YAML: {_yaml_problem(err)}") from None
    except RecursionError:
        raise error(f"{source} is nested too deeply (at most {max_depth} levels)") from None
    finally:
        if loader is not None:
            loader.dispose()


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def _children(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        return iter(value.values())
    if isinstance(value, list | tuple):
        return iter(value)
    return iter(())


def check_depth(value: Any, *, max_depth: int, error: type[CopFactorsError], source: str) -> None:
    """Refuse a decoded document nested more than ``max_depth`` levels deep (no recursion).

    Examples
    --------
    >>> from copfactors.errors import PlanError
    >>> check_depth({"a": [1, 2]}, max_depth=2, error=PlanError, source="plan.json")
    >>> check_depth({"a": [[1]]}, max_depth=2, error=PlanError, source="plan.json")
    Traceback (most recent call last):
    ...
    copfactors.errors.PlanError: plan.json is nested more than 2 levels deep (max_depth)
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth + 1 > max_depth:
                raise error(f"{source} is nested more than {max_depth} levels deep (max_depth)")
            stack.extend((child, depth + 1) for child in _children(item))


def _json_hooks(error: type[CopFactorsError], source: str) -> dict[str, Any]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise error(
                    f"{source}: the key {short(key)} is given twice in one object; give each "
                    "key once"
                )
            out[key] = value
        return out

    def integer(text: str) -> int:
        if len(text) > MAX_INT_CHARS:
            raise error(
                f"{source}: an integer of {len(text)} digits is too large (at most {MAX_INT} "
                "in magnitude)"
            )
        value = int(text)
        if abs(value) > MAX_INT:
            raise error(
                f"{source}: the integer {value} is too large (at most {MAX_INT} in magnitude)"
            )
        return value

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise error(f"{source}: the number {short(text)} is too large for a float")
        return value

    def constant(name: str) -> Any:
        raise error(f"{source}: the bare token {name} is not allowed (JSON has no NaN or Infinity)")

    return {
        "object_pairs_hook": pairs,
        "parse_int": integer,
        "parse_float": number,
        "parse_constant": constant,
    }


def load_json(
    text: str | bytes,
    *,
    error: type[CopFactorsError],
    source: str,
    max_bytes: int = 1_000_000,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse one JSON document safely: size, duplicate keys, depth, NaN and huge numbers.

    Parameters
    ----------
    text : str or bytes
        The document (bytes are decoded as UTF-8).
    error : type of CopFactorsError
        Raised for every problem.
    source : str
        Where the document comes from, starting every message.
    max_bytes : int, default 1_000_000
        Largest document accepted, in bytes, checked before parsing.
    max_depth : int, default 50
        Deepest nesting of objects and arrays.

    Returns
    -------
    object

    Examples
    --------
    >>> from copfactors.errors import PlanError
    >>> load_json('{"a": 1}', error=PlanError, source="plan.json")
    {'a': 1}
    >>> load_json('{"a": NaN}', error=PlanError, source="plan.json")
    Traceback (most recent call last):
    ...
    copfactors.errors.PlanError: plan.json: the bare token NaN is not allowed (JSON has no NaN \
or Infinity)
    """
    _check_size(text, _check_limit(max_bytes, error), error, source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise error(f"{source} is not UTF-8 text (byte {err.start})") from None
    try:
        value = json.loads(text, **_json_hooks(error, source))
    except json.JSONDecodeError as err:
        raise error(
            f"{source} is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from None
    except RecursionError:
        raise error(f"{source} is nested too deeply (at most {max_depth} levels)") from None
    check_depth(value, max_depth=max_depth, error=error, source=source)
    return value
