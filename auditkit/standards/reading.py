"""Reading a YAML file strictly: UTF-8 only, no duplicate keys, and every mapping and list
remembers the line it starts on, so that a problem can name the line."""

from collections.abc import Hashable

import yaml

try:  # libyaml parses several times faster; the pure-Python parser gives the same result.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader


class LocatedDict(dict):
    line: int = 0


class LocatedList(list):
    line: int = 0


class ReadFailed(Exception):
    """The file could not be read as YAML at all; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(_BaseLoader):
    pass


def _construct_mapping(loader, node):
    data = LocatedDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark)
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader, node):
    data = LocatedList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def decode_utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ReadFailed(f"not UTF-8: byte 0x{raw[error.start]:02x} at byte offset "
                         f"{error.start} (line {line}); save the file as UTF-8", line) from None


def parse_yaml(text: str):
    """The document as plain Python values (LocatedDict/LocatedList for mappings and lists)."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        where = f" (line {line}, column {mark.column + 1})" if mark else ""
        problem = error.problem or error.context or "cannot be parsed"
        raise ReadFailed(f"malformed YAML: {problem}{where}", line) from None
    except yaml.reader.ReaderError as error:  # characters YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise ReadFailed(f"malformed YAML: character U+{code:04X} is not allowed "
                         f"(line {line})", line) from None


def read_yaml_bytes(raw: bytes):
    return parse_yaml(decode_utf8(raw))
