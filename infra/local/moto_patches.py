"""Patches that give moto's DynamoDB the cost model of the real service where the product's
promises depend on it. None changes a DynamoDB or S3 answer (4. only thins moto's own
/moto-api/data.json): a differential check (infra/local/check_moto_patches.py, run by
`make test`) compares them with stock moto.

1. Index queries read the partition, not the table. Stock moto answers a Query on a global
   secondary index by sorting *every item of the table* and testing each one, so a sweep of the
   sparse awaiting-response index costs as much at 100 items due in 100,000 as a scan would
   (measured: one empty Query 40 ms at 1,000 rows, 6.1 s at 100,000). DynamoDB reads only the
   partition and the key range. Here each index keeps, per partition value, its items sorted by the
   index sort key; a Query bisects to the key range and hands moto only those items, and moto then
   applies its own key condition, order, paging, limit, filter and projection as before.
   The sorted partitions are built when a table is first used (empty, as a rule) and kept up to
   date on every write (put, update, delete, batch and transaction items); PartiQL writes make
   them start afresh.

2. A Query of the table itself reads its partition. Stock moto sorts every item of the table and
   keeps those of the queried partition, so reading one incident (a Query of its partition) got
   slower with every row `make dev` or a test suite wrote (70 ms on a 2,264-item table against
   7-9 ms for a GetItem). Here moto is handed the partition's items only; it then sorts them and
   applies its own key condition, order, paging, limit, filter and projection as before.

3. A transaction backs up the items it touches, not the tables. Stock moto deep-copies every
   table a transaction names, once per item of the transaction, so one transaction on a
   100,000-row table took 13-48 s. Here the items a transaction names are copied before it runs
   and put back if it is cancelled: the same all-or-nothing outcome.

4. Items, stream records and stored objects are not kept for /moto-api/data.json. Stock moto
   appends every instance of every model it ever makes (each item written, each copy of one, each
   stream record, each S3 object with its bytes) to a class-wide list that nothing prunes, and
   `data.json` walks that list under the server's one lock, testing every attribute of every
   instance. The tests and `make outbox` read the local SES outbox there once a second while
   they wait for mail, so late in a suite each read held the server for seconds (measured: 420 ms
   at 5,000 items written, 750 ms at 10,000) and the memory grew without bound. DynamoDB and S3
   models are left out of that list; SES, SNS and SQS (the outbox, the pager topic, the failure
   queue) are listed as before. No DynamoDB or S3 answer reads the list.

5. SES v2 keeps what a message carries besides its subject and one body part. Stock moto's
   SendEmail drops `ReplyToAddresses`, `EmailTags`, the message's `Headers`, the configuration set
   and the text part; here they are kept on the sent message (`reply_to`, `tags`, `headers`,
   `configuration_set`, `text`), so /moto-api/data.json shows them as SES would send them. The
   answer is unchanged (issue 27: the reply address of every message to a contact).
"""

import bisect
import copy as _copy
import inspect
import threading
import weakref
from typing import Any

import moto.dynamodb.models as models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

# moto names a key condition's operator as written ("<=", "between", ...) or as in the legacy API.
_RANGE_OPERATORS = {
    "=": "EQ", "EQ": "EQ", "<=": "LE", "LE": "LE", "<": "LT", "LT": "LT", ">=": "GE", "GE": "GE",
    ">": "GT", "GT": "GT", "BETWEEN": "BETWEEN", "BEGINS_WITH": "BEGINS_WITH",
}


class _Partitions:
    """One global secondary index of one table: partition value -> items sorted by sort key."""

    def __init__(self, table: Table, index: Any):
        self.hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        self.range_attr = ranges[0] if ranges else None
        # partition -> (sort values, table keys), parallel lists in sort-key order
        self.partitions: dict[Any, tuple[list[Any], list[Any]]] = {}
        self.placed: dict[Any, tuple[Any, Any]] = {}  # table key -> (partition, sort value)
        for item in _items_of(table):
            self.place(_table_key(table, item), item)

    def place(self, key: Any, item: Any) -> None:
        hash_value = item.attrs.get(self.hash_attr)
        if hash_value is None:
            return
        sort = None
        if self.range_attr is not None:
            range_value = item.attrs.get(self.range_attr)
            if range_value is None:
                return  # not in the index: DynamoDB indexes items that carry every key attribute
            sort = range_value.cast_value
        partition = hash_value.cast_value
        sorts, keys = self.partitions.setdefault(partition, ([], []))
        at = bisect.bisect_right(sorts, sort) if self.range_attr is not None else len(sorts)
        sorts.insert(at, sort)
        keys.insert(at, key)
        self.placed[key] = (partition, sort)

    def remove(self, key: Any) -> None:
        where = self.placed.pop(key, None)
        if where is None:
            return
        partition, sort = where
        sorts, keys = self.partitions[partition]
        if self.range_attr is None:
            at = keys.index(key)
        else:
            at = bisect.bisect_left(sorts, sort)
            while keys[at] != key:
                at += 1
        del sorts[at]
        del keys[at]
        if not keys:
            del self.partitions[partition]

    def candidates(self, partition: Any, comparison: str | None, bounds: list[Any]) -> list[Any]:
        """Table keys of the partition whose sort key may satisfy the condition (a superset)."""
        sorts, keys = self.partitions.get(partition, ([], []))
        if self.range_attr is None or comparison is None:
            return list(keys)
        lo, hi = 0, len(sorts)
        if comparison == "EQ":
            lo, hi = bisect.bisect_left(sorts, bounds[0]), bisect.bisect_right(sorts, bounds[0])
        elif comparison == "LE":
            hi = bisect.bisect_right(sorts, bounds[0])
        elif comparison == "LT":
            hi = bisect.bisect_left(sorts, bounds[0])
        elif comparison == "GE":
            lo = bisect.bisect_left(sorts, bounds[0])
        elif comparison == "GT":
            lo = bisect.bisect_right(sorts, bounds[0])
        elif comparison == "BETWEEN":
            lo, hi = bisect.bisect_left(sorts, bounds[0]), bisect.bisect_right(sorts, bounds[1])
        elif comparison == "BEGINS_WITH" and isinstance(bounds[0], str):
            lo = hi = bisect.bisect_left(sorts, bounds[0])
            while hi < len(sorts) and isinstance(sorts[hi], str) and sorts[hi].startswith(bounds[0]):
                hi += 1
        # One neighbour on each side too: moto answers a LastEvaluatedKey when the Limit is reached
        # and any item of the partition follows, as DynamoDB does when it stops at the Limit.
        return keys[max(lo - 1, 0) : hi + 1]


def _definition(gsi: Any) -> tuple[Any, ...]:
    return gsi.name, tuple((k["AttributeName"], k["KeyType"]) for k in gsi.schema)


class _TableIndexes:
    """The sorted partitions of one table's global secondary indexes, built when the table is
    first written or queried (an empty table, as a rule) and kept up to date write by write."""

    def __init__(self, table: Table):
        self._table = weakref.ref(table)
        self.by_name: dict[str, tuple[Any, _Partitions | None]] = {}
        self.objects: dict[Any, Any] = {}  # table key -> the live item
        for item in _items_of(table):
            self.objects[_table_key(table, item)] = item
        self.sync()

    @property
    def table(self) -> Table | None:
        return self._table()

    def sync(self) -> None:
        """Builds an index defined since (or redefined) from the table; drops removed ones."""
        table = self.table
        current = {}
        for gsi in table.global_indexes or []:
            definition = _definition(gsi)
            known = self.by_name.get(gsi.name)
            if known is not None and known[0] == definition:
                current[gsi.name] = known
            else:
                current[gsi.name] = (definition, _build(table, gsi))
        self.by_name = current

    def index(self, name: str) -> _Partitions | None:
        self.sync()
        known = self.by_name.get(name)
        return known[1] if known else None

    def refresh(self, raw_key: dict[str, Any]) -> None:
        self.sync()
        table = self.table
        key = _raw_table_key(table, raw_key)
        item = _item_at(table, raw_key)
        if item is None:
            self.objects.pop(key, None)
        else:
            self.objects[key] = item
        for name, (definition, partitions) in list(self.by_name.items()):
            if partitions is None:
                continue
            try:
                partitions.remove(key)
                if item is not None:
                    partitions.place(key, item)
            except (TypeError, ValueError, IndexError):  # left to stock moto from now on
                self.by_name[name] = (definition, None)


def _build(table: Table, gsi: Any) -> _Partitions | None:
    kinds = [k["KeyType"] for k in gsi.schema]
    if kinds.count("HASH") != 1 or kinds.count("RANGE") > 1:
        return None
    try:
        return _Partitions(table, gsi)
    except TypeError:  # sort values of mixed types: leave this index to stock moto
        return None


class _Cache:
    """Every table's partitions, by table object: a table created, replaced or restored under
    the same name starts afresh, and a dropped table's partitions go with it."""

    def __init__(self):
        self.tables: dict[int, _TableIndexes] = {}

    def of(self, table: Table) -> _TableIndexes:
        entry = self.tables.get(id(table))
        if entry is None or entry.table is not table:
            entry = self.tables[id(table)] = _TableIndexes(table)
            weakref.finalize(table, self.tables.pop, id(table), None)
        return entry

    def refresh(self, table: Table, raw_key: dict[str, Any]) -> None:
        self.of(table).refresh(raw_key)

    def clear(self) -> None:
        self.tables.clear()


_cache = _Cache()
# The differential check turns the index fast path off to ask stock moto the same question,
# and reads how many index queries each path answered.
fast_index_queries = True
served = {"partition": 0, "table_partition": 0, "stock": 0}
_query_candidates = threading.local()


def _items_of(table: Table):
    for hash_set in list(table.items.values()):
        if table.range_key_attr:
            yield from list(hash_set.values())
        else:
            yield hash_set


def _table_key(table: Table, item: Any) -> tuple[Any, Any]:
    range_value = item.range_key.cast_value if table.range_key_attr else None
    return item.hash_key.cast_value, range_value


def _raw_table_key(table: Table, raw: dict[str, Any]) -> tuple[Any, Any]:
    hash_value = DynamoType(raw[table.hash_key_attr]).cast_value
    range_value = DynamoType(raw[table.range_key_attr]).cast_value if table.range_key_attr else None
    return hash_value, range_value


def _typed_key(table: Table, raw: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    range_value = DynamoType(raw[table.range_key_attr]) if table.range_key_attr else None
    return DynamoType(raw[table.hash_key_attr]), range_value


def _item_at(table: Table, raw_key: dict[str, Any]) -> Any:
    hash_value, range_value = _typed_key(table, raw_key)
    hash_set = table.items.get(hash_value)
    if hash_set is None or not table.range_key_attr:
        return hash_set
    return hash_set.get(range_value)


def _key_of_write(table: Table, raw_item_or_key: dict[str, Any]) -> dict[str, Any]:
    key = {table.hash_key_attr: raw_item_or_key[table.hash_key_attr]}
    if table.range_key_attr:
        key[table.range_key_attr] = raw_item_or_key[table.range_key_attr]
    return key


def _patch_index_queries() -> None:
    original_query = Table.query
    signature = inspect.signature(original_query)
    original_all_items = Table.all_items

    def all_items(self: Table) -> list[Any]:
        candidates = getattr(_query_candidates, "items", None)
        if candidates is not None and candidates[0] is self:
            return list(candidates[1])
        return original_all_items(self)

    def table_partition(self: Table, hash_key: Any) -> list[Any]:
        """The items of one partition of the table: the only ones stock moto keeps for a Query
        of the table (it compares every item's hash key with the queried one)."""
        hash_set = self.items.get(hash_key)
        if hash_set is None:
            return []
        return list(hash_set.values()) if self.range_key_attr else [hash_set]

    def candidates(self: Table, arguments: dict[str, Any]) -> list[Any] | None:
        """The items a Query can return, or None for stock moto."""
        index_name = arguments.get("index_name")
        hash_key = arguments.get("hash_key")
        if fast_index_queries and not index_name and isinstance(hash_key, DynamoType):
            return table_partition(self, hash_key)
        written = arguments.get("range_comparison")
        comparison = None if written is None else _RANGE_OPERATORS.get(str(written).upper())
        if (
            not fast_index_queries
            or not index_name
            or hash_key is None
            or arguments.get("filter_kwargs")
            or len(arguments.get("range_key_conditions") or []) > 1
            or len(arguments.get("hash_key_conditions") or []) > 1
            or (written is not None and comparison is None)
        ):
            return None
        indexes = _cache.of(self)
        partitions = indexes.index(index_name)
        if partitions is None:
            return None
        try:
            bounds = [value.cast_value for value in arguments.get("range_objs") or []]
            keys = partitions.candidates(hash_key.cast_value, comparison, bounds)
        except TypeError:
            return None
        return [indexes.objects[key] for key in keys]

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        items = candidates(self, arguments)
        if items is None:
            if arguments.get("index_name"):
                served["stock"] += 1
            return original_query(self, *args, **kwargs)
        served["partition" if arguments.get("index_name") else "table_partition"] += 1
        _query_candidates.items = (self, items)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _query_candidates.items = None

    Table.all_items = all_items
    Table.query = query


def _patch_writes() -> None:
    backend = models.DynamoDBBackend

    def refreshing(name: str, key_argument: str) -> None:
        original = getattr(backend, name)
        signature = inspect.signature(original)

        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            arguments = signature.bind(self, *args, **kwargs).arguments
            try:
                return original(self, *args, **kwargs)
            finally:
                table = self.tables.get(arguments["table_name"])
                if table is not None:
                    raw = arguments[key_argument]
                    if table.hash_key_attr in raw:
                        _cache.refresh(table, _key_of_write(table, raw))

        setattr(backend, name, write)

    refreshing("put_item", "item_attrs")
    refreshing("update_item", "key")
    refreshing("delete_item", "key")

    def clearing(name: str) -> None:
        original = getattr(backend, name, None)
        if original is None:
            return

        def changed(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original(self, *args, **kwargs)
            finally:
                _cache.clear()

        setattr(backend, name, changed)

    # PartiQL writes items by paths of its own: start every table afresh after one. (Creating,
    # replacing, restoring or importing a table makes a new table object, and an index defined
    # or redefined later is built from the table when first used.)
    for name in ("execute_statement", "execute_transaction", "batch_execute_statement"):
        clearing(name)


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's models while a transaction runs: tables are
    not deep-copied (the transaction wrapper backs up the items instead)."""

    active = False

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        if self.active and isinstance(obj, Table):
            return obj
        return _copy.deepcopy(obj, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(_copy, name)


def _patch_transactions() -> None:
    shim = _NoTableCopies()
    models.copy = shim
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            if len(entry) != 1:
                continue  # moto refuses it before writing anything
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            raw = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not isinstance(raw, dict) or table.hash_key_attr not in raw:
                continue
            if table.range_key_attr and table.range_key_attr not in raw:
                continue
            key = _key_of_write(table, raw)
            current = _item_at(table, key)
            backups.append((table, key, _copy.deepcopy(current) if current is not None else None))
        # A cancelled transaction leaves no stream records (as in DynamoDB): moto appends them
        # as it applies each write, and its own rollback restored them with the copied table.
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items))
                   for t, _, _ in backups if t.stream_shard is not None}
        shim.active = True
        try:
            return original(self, transact_items)
        except BaseException:
            for shard, length in streams.values():
                del shard.items[length:]
            for table, key, saved in reversed(backups):
                hash_value, range_value = _typed_key(table, key)
                if table.range_key_attr:
                    if saved is None:
                        table.items.get(hash_value, {}).pop(range_value, None)
                        if hash_value in table.items and not table.items[hash_value]:
                            del table.items[hash_value]
                    else:
                        table.items[hash_value][range_value] = saved
                elif saved is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = saved
            raise
        finally:
            shim.active = False
            for table, key, _ in backups:
                _cache.refresh(table, key)

    models.DynamoDBBackend.transact_write_items = transact_write_items


class _Untracked(list):
    """A model class's instance list that keeps nothing (see 4. above)."""

    def append(self, _instance: Any) -> None:
        pass


def _patch_instance_tracking() -> None:
    import moto.dynamodbstreams.models  # noqa: F401  (each model module registers its classes)
    import moto.s3.models  # noqa: F401
    from moto.core.model_instances import model_data

    for service in ("dynamodb", "dynamodbstreams", "s3"):
        for cls in model_data.get(service, {}).values():
            cls.instances_tracked = _Untracked()


_applied = False


def _patch_sesv2_extras() -> None:
    import json

    from moto.sesv2.responses import SESV2Response

    original = SESV2Response.send_email

    def send_email(self):  # type: ignore[no-untyped-def]
        answer = original(self)
        try:
            params = json.loads(self.body)
            message_id = json.loads(answer)["MessageId"]
        except (ValueError, KeyError, TypeError):
            return answer
        for message in reversed(self.sesv2_backend.core_backend.sent_messages):
            if getattr(message, "id", None) != message_id:
                continue
            simple = (params.get("Content") or {}).get("Simple") or {}
            message.reply_to = list(params.get("ReplyToAddresses") or [])
            message.tags = {t.get("Name"): t.get("Value") for t in params.get("EmailTags") or []}
            message.headers = {h.get("Name"): h.get("Value") for h in simple.get("Headers") or []}
            message.configuration_set = params.get("ConfigurationSetName")
            message.text = ((simple.get("Body") or {}).get("Text") or {}).get("Data")
            break
        return answer

    SESV2Response.send_email = send_email


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _patch_index_queries()
    _patch_writes()
    _patch_transactions()
    _patch_instance_tracking()
    _patch_sesv2_extras()
