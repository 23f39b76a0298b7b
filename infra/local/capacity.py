"""Write units as DynamoDB's documentation counts them, computed from the items a write saw
before and after it (the local server's recording mode, infra/local/dynamodb_server.py; checked
by infra/local/check_capacity.py). Pure functions on DynamoDB-JSON items; nothing here talks to
moto. COMPUTED, not metered: moto's own ConsumedCapacity is a constant per operation.

Rules followed (Amazon DynamoDB Developer Guide):
- Item size ("DynamoDB item sizes and formats"): the sum over attributes of the UTF-8 bytes of
  the name plus the value's size. String: its UTF-8 bytes. Number: 1 byte per two significant
  digits (leading and trailing zeroes trimmed) plus 1 byte. Binary: its raw bytes. Null and
  Boolean: 1 byte. List and Map: 3 bytes plus the nested elements (a map element counts its name),
  plus 1 byte per element. Sets: the sum of their elements.
- Writes ("DynamoDB read and write operations"): 1 write unit per 1 KB, rounded up, per item.
  PutItem and UpdateItem count the larger of the item before and after; DeleteItem the deleted
  item; a conditional write whose condition fails still consumes (the existing item's size, or
  the proposed one's if larger, at least 1 unit). BatchWriteItem: each put or delete on its own.
- Transactions ("Amazon DynamoDB Transactions: how it works", capacity management): every item
  is read or written twice (prepare and commit), so a transactional write costs 2 units per 1 KB
  and a ConditionCheck a transactional read, 2 read units per 4 KB. The changes propagate to the
  global secondary indexes after the transaction completes: index writes count as standard ones.
  The cost of a cancelled transaction is not documented; it is counted here as its items'
  prepare and commit against the items as they were (no index writes), and flagged.
- Global secondary indexes ("Provisioned throughput considerations for global secondary
  indexes"): an item is in an index when it carries every key attribute of the index. A write
  that puts an item into an index, or takes it out, costs one index write; one that changes an
  index key value costs two (delete the old entry, put the new one); one that changes only the
  entry's projected attributes costs one; an item in the index neither before nor after, or
  whose entry does not change, costs none. An index write counts the size of the index entry
  (table keys, index keys and the projected attributes), 1 unit per 1 KB rounded up.
"""

import base64
import math
from typing import Any

KB = 1024
READ_BLOCK = 4 * KB


def number_size(text: str) -> int:
    """Bytes of a Number value: one per two significant digits, plus one."""
    mantissa = text.strip().lstrip("+-")
    for marker in ("e", "E"):
        if marker in mantissa:
            mantissa = mantissa.split(marker, 1)[0]
    # Leading and trailing zeroes trimmed, an integer's too (1000 is 1E3: one digit).
    digits = mantissa.replace(".", "").strip("0")
    significant = max(len(digits), 1)
    return math.ceil(significant / 2) + 1


def _binary_size(value: Any) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return len(base64.b64decode(value))


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON value (`{"S": "x"}`, `{"M": {...}}`, ...), without its name."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return _binary_size(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    if kind == "BS":
        return sum(_binary_size(b) for b in v)
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(e) + 1 for k, e in v.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item (attribute name -> DynamoDB-JSON value); 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    """Standard write units for an item of `size` bytes: 1 per 1 KB rounded up, at least 1."""
    return max(1, math.ceil(size / KB))


def read_units(size: int) -> int:
    """Strongly consistent read units for `size` bytes: 1 per 4 KB rounded up, at least 1."""
    return max(1, math.ceil(size / READ_BLOCK))


def index_entry(item: dict[str, Any] | None, table_keys: list[str], index: dict[str, Any]):
    """The item's entry in a global secondary index, or None when the item is not in it.
    `index` = {"name", "keys": [attribute names], "projection": {"ProjectionType", ...}}."""
    if item is None or any(k not in item for k in index["keys"]):
        return None
    projection = index.get("projection") or {}
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return dict(item)
    kept = set(table_keys) | set(index["keys"])
    if kind == "INCLUDE":
        kept |= set(projection.get("NonKeyAttributes", []))
    return {k: v for k, v in item.items() if k in kept}


def index_units(before, after, table_keys: list[str], index: dict[str, Any]) -> int:
    """Index write units of one table write that turned `before` into `after` (either None)."""
    old = index_entry(before, table_keys, index)
    new = index_entry(after, table_keys, index)
    if old is None and new is None:
        return 0
    if old is None:
        return write_units(item_size(new))
    if new is None:
        return write_units(item_size(old))
    if any(old[k] != new[k] for k in index["keys"]):
        return write_units(item_size(old)) + write_units(item_size(new))
    if old != new:
        return write_units(item_size(new))
    return 0


def item_write(kind: str, before, after, schema: dict[str, Any], applied: bool,
               transactional: bool = False, proposed=None) -> dict[str, int]:
    """Units of one item of a write: `kind` Put, Update, Delete or ConditionCheck; `before` and
    `after` the item (None: absent); `schema` = {"keys": [...], "indexes": [...]}; `applied`
    False when the condition failed or the transaction was cancelled; `proposed` the item a
    Put that was not applied would have written.
    Returns {"table": write units, "index": index write units, "read": read units}."""
    factor = 2 if transactional else 1
    if kind == "ConditionCheck":
        return {"table": 0, "index": 0, "read": factor * read_units(item_size(before))}
    if not applied:
        # Charged on the existing item, or the proposed one if larger; no index was written.
        size = max(item_size(before), item_size(proposed))
        return {"table": factor * write_units(size), "index": 0, "read": 0}
    if kind == "Delete":
        size = item_size(before)
    else:
        size = max(item_size(before), item_size(after))
    index = sum(index_units(before, after, schema["keys"], i) for i in schema.get("indexes", []))
    return {"table": factor * write_units(size), "index": index, "read": 0}
