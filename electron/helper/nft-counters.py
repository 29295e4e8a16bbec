#!/usr/bin/env python3
# Runtime: python3 (standard library only), as root, spawned by the helper (electron/helper/
# counter-reader.ts) in the helper's network namespace. Reads nftables counters straight from
# netlink: a dump of one table's counter objects (NFT_MSG_GETOBJ filtered by table and type)
# and of the elements of named verdict maps (NFT_MSG_GETSETELEM), without the full ruleset dump
# that every `nft list ...` command performs first (at 10,000 rules that dump is most of the
# cost of reading counters once a second).
# Invariant: read-only (dump requests only); one JSON request line in, one JSON reply line out.
#   in:  {"table": "treewall", "maps": ["m_x", ...], "changed": true, "full": false}
#        ("changed": counter objects and map elements that did not move since the last reply are
#        left out, give or take elements that share a netlink message with one that moved; the
#        helper keeps the values it has)
#        "nonzero": true with "full": only counters and elements that counted something, and
#        "zeros": true in the reply (every other one of the table reads zero)
#        "guards": {"m_x": {"c": ["c_p", ...], "m": ["m_p", ...]}} (with "changed"): a map
#        whose guards did not move is not dumped (see read_guarded); the maps come parents first
#        "layout": "id" with "maps" and "guards": keep them under that id; a later request with
#        "layout": "id" and neither (the same program: less JSON 4 times a second) uses them
#        {"table": "treewall", "sets": ["trig4", ...]}: the sets' elements instead (see read_set)
#        {"table": "treewall", "generation": true}: the ruleset's generation and whether the
#        table exists (see read_generation)
#   out: {"ok": true, "counters": {"c_x": [packets, bytes]},
#         "elements": {"m_x": [[keyHex, flags, packets, bytes, keyEndHex or null], ...]}}
#        {"ok": true, "generation": 1234, "table": true}
#        {"ok": false, "error": "..."}
import errno
import json
import os
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETTABLE = 1
NFT_MSG_GETSETELEM = 13
NFT_MSG_NEWGEN = 15
NFT_MSG_GETGEN = 16
NFT_MSG_GETOBJ = 19
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NFPROTO_INET = 1
NFT_OBJECT_COUNTER = 1

NFTA_TABLE_NAME = 1
NFTA_GEN_ID = 1
NFTA_OBJ_TABLE, NFTA_OBJ_NAME, NFTA_OBJ_TYPE, NFTA_OBJ_DATA = 1, 2, 3, 4
NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS = 1, 2
NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_ELEMENTS = 1, 2, 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_FLAGS, NFTA_SET_ELEM_EXPR = 1, 3, 7
NFTA_SET_ELEM_KEY_END, NFTA_SET_ELEM_EXPRESSIONS = 10, 11
NFTA_SET_ELEM_TIMEOUT, NFTA_SET_ELEM_EXPIRATION = 4, 5
NFTA_DATA_VALUE = 1
NFTA_EXPR_NAME, NFTA_EXPR_DATA = 1, 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def attrs(data):
    """(type, payload) pairs of a netlink attribute stream; nested flags masked off."""
    out = []
    at = 0
    while at + 4 <= len(data):
        length, kind = struct.unpack_from('=HH', data, at)
        if length < 4 or at + length > len(data):
            break
        out.append((kind & 0x3FFF, data[at + 4:at + length]))
        at += (length + 3) & ~3
    return out


class Netlink:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind((0, 0))
        self.seq = 0
        # One receive buffer for every read: recv(1 MiB) would allocate (and shrink) a fresh
        # megabyte per call, twice per dump, hundreds of dumps (one per map) per reading.
        self.buffer = bytearray(1 << 20)

    def dump(self, msg_type, payload, flags=NLM_F_DUMP):
        """Send one dump request (or, with flags=NLM_F_ACK, one get request answered by its
        message and an acknowledgement); return the payloads (after nfgenmsg) of every reply
        message."""
        self.seq += 1
        body = struct.pack('=BBH', NFPROTO_INET, 0, 0) + payload
        header = struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_NFTABLES << 8) | msg_type,
                             NLM_F_REQUEST | flags, self.seq, 0)
        self.sock.send(header + body)
        out = []
        while True:
            size = self.sock.recv_into(self.buffer)
            data = bytes(self.buffer[:size])
            at = 0
            while at + 16 <= len(data):
                length, kind, _flags, seq, _pid = struct.unpack_from('=IHHII', data, at)
                if length < 16:
                    raise RuntimeError('bad netlink message')
                if seq == self.seq:
                    if kind == NLMSG_DONE:
                        return out
                    if kind == NLMSG_ERROR:
                        code = struct.unpack_from('=i', data, at + 16)[0]
                        if code == 0:
                            return out
                        raise OSError(-code, os.strerror(-code))
                    out.append(data[at + 20:at + length])
                at += (length + 3) & ~3


    def dump_or_none(self, msg_type, payload):
        """As dump; a table or map that does not exist (ENOENT) has nothing to count: []. (An
        error reply would make the helper stop this reader and fall back to nft, which costs a
        python start at the next apply and a full ruleset dump per reading meanwhile.)"""
        try:
            return self.dump(msg_type, payload)
        except OSError as error:
            if error.errno == errno.ENOENT:
                return []
            raise


def counter_values(data):
    values = dict(attrs(data))
    packets = struct.unpack('>Q', values[NFTA_COUNTER_PACKETS])[0] if NFTA_COUNTER_PACKETS in values else 0
    nbytes = struct.unpack('>Q', values[NFTA_COUNTER_BYTES])[0] if NFTA_COUNTER_BYTES in values else 0
    return packets, nbytes


def expr_counter(data):
    values = dict(attrs(data))
    if values.get(NFTA_EXPR_NAME, b'').rstrip(b'\0') == b'counter' and NFTA_EXPR_DATA in values:
        return counter_values(values[NFTA_EXPR_DATA])
    return None


def read_counters(nl, table, seen):
    """name -> [packets, bytes] of the counter objects of `table` whose message is not in `seen`
    (the raw messages of the last reading: an object whose counter did not move comes back byte
    for byte the same, so it is not decoded). Returns (counters, raw messages), or (None, set())
    when the table does not exist. Hot path: no dicts."""
    tname = table.encode() + b'\0'
    payload = attr(NFTA_OBJ_TABLE, tname) + attr(NFTA_OBJ_TYPE, struct.pack('>I', NFT_OBJECT_COUNTER))
    counters = {}
    unpack_attr = struct.Struct('=HH').unpack_from
    try:
        msgs = nl.dump(NFT_MSG_GETOBJ, payload)
    except OSError as error:
        if error.errno != errno.ENOENT:
            raise
        return None, set()
    for msg in msgs:
        if msg in seen:
            continue
        name = None
        packets = nbytes = 0
        same_table = False
        at = 0
        end = len(msg)
        while at + 4 <= end:
            length, kind = unpack_attr(msg, at)
            if length < 4:
                break
            kind &= 0x3FFF
            if kind == NFTA_OBJ_NAME:
                name = msg[at + 4:at + length].rstrip(b'\0').decode()
            elif kind == NFTA_OBJ_TABLE:
                same_table = msg[at + 4:at + length] == tname
            elif kind == NFTA_OBJ_DATA:
                packets, nbytes = counter_values_at(msg, at + 4, at + length)
            at += (length + 3) & ~3
        if name is not None and same_table:
            counters[name] = (packets, nbytes)
    return counters, set(msgs)


def read_guarded(nl, table, maps, guards, counters, seen_elements, again, quick):
    """Read only the maps whose elements may have moved since the last reading. A map's guards
    are the counters of the rules whose children it holds (a counter object, or another map's
    element): a child is tested only for a packet its parent matched and counted (DESIGN §3.4),
    so while no guard moved, no element of the map did. Read regardless: a map without guards
    (one holding a top-level rule), one not read before, one whose guard is a map not read yet
    in this pass (`maps` comes parents first), and one read last time because a guard moved
    (`again`: its parent's counter and its own are two steps of one packet, and a reading may
    fall between them). Not `quick`: every map is read (and `again` still noted). Maps left out
    keep their raw messages of the last reading. Returns
    (elements, raw messages by map, the maps to read again next time)."""
    moved = set(counters or ())
    done = set()
    elements = {}
    maps_seen = {}
    next_again = set()
    for m in maps:
        guard = guards.get(m)
        old = seen_elements.get(m)
        hit = guard is None or old is None or m in again
        guard_moved = False
        if guard is not None:
            for c in guard.get('c', ()):
                if c in moved:
                    hit = guard_moved = True
                    break
        if guard is not None and not guard_moved:
            for p in guard.get('m', ()):
                if p in moved:
                    hit = guard_moved = True
                    break
                if p not in done:
                    hit = True
                    break
        done.add(m)
        if not hit and quick:
            maps_seen[m] = old
            continue
        found, maps_seen[m] = read_map(nl, table, m, old if old is not None else set())
        if found:
            elements[m] = found
            moved.add(m)
        if guard_moved:
            next_again.add(m)
    return elements, maps_seen, next_again


def data_value(data):
    return dict(attrs(data)).get(NFTA_DATA_VALUE, b'').hex()


def read_map(nl, table, name, seen):
    """The elements of map `name` in dump messages not in `seen` (the raw messages of the last
    reading: a message whose elements' counters did not move comes back byte for byte the same,
    so it is not decoded; one that differs is decoded whole). Returns (elements, raw messages).
    Hot path (a full reading decodes every element: 17,615 at 10,000 rules): offsets, no dicts."""
    payload = attr(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b'\0') + \
        attr(NFTA_SET_ELEM_LIST_SET, name.encode() + b'\0')
    out = []
    msgs = nl.dump_or_none(NFT_MSG_GETSETELEM, payload)
    unpack_attr = UNPACK_ATTR
    for msg in msgs:
        if msg in seen:
            continue
        end = len(msg)
        at = 0
        while at + 4 <= end:
            length, kind = unpack_attr(msg, at)
            if length < 4:
                break
            if kind & 0x3FFF == NFTA_SET_ELEM_LIST_ELEMENTS:
                elements_end = at + length
                e = at + 4
                while e + 4 <= elements_end:
                    elen, ekind = unpack_attr(msg, e)
                    if elen < 4:
                        break
                    if ekind & 0x3FFF == NFTA_LIST_ELEM:
                        out.append(decode_element(msg, e + 4, e + elen))
                    e += (elen + 3) & ~3
            at += (length + 3) & ~3
    return out, set(msgs)


UNPACK_ATTR = struct.Struct('=HH').unpack_from
UNPACK_U32 = struct.Struct('>I').unpack_from
UNPACK_Q = struct.Struct('>Q').unpack_from


def data_value_at(msg, at, end):
    """The NFTA_DATA_VALUE inside the nested attribute msg[at:end], as hex."""
    while at + 4 <= end:
        length, kind = UNPACK_ATTR(msg, at)
        if length < 4:
            break
        if kind & 0x3FFF == NFTA_DATA_VALUE:
            return msg[at + 4:at + length].hex()
        at += (length + 3) & ~3
    return ''


def counter_at(msg, at, end):
    """(packets, bytes) of a `counter` expression in msg[at:end], else None."""
    is_counter = False
    data = None
    while at + 4 <= end:
        length, kind = UNPACK_ATTR(msg, at)
        if length < 4:
            break
        kind &= 0x3FFF
        if kind == NFTA_EXPR_NAME:
            is_counter = msg[at + 4:at + length].rstrip(b'\0') == b'counter'
        elif kind == NFTA_EXPR_DATA:
            data = (at + 4, at + length)
        at += (length + 3) & ~3
    if not is_counter or data is None:
        return None
    return counter_values_at(msg, *data)


def counter_values_at(msg, at, end):
    """(packets, bytes) of a counter's attributes in msg[at:end] (a counter object's data or a
    counter expression's): the one decoder of both."""
    packets = nbytes = 0
    while at + 4 <= end:
        length, kind = UNPACK_ATTR(msg, at)
        if length < 4:
            break
        kind &= 0x3FFF
        if kind == NFTA_COUNTER_PACKETS:
            packets = UNPACK_Q(msg, at + 4)[0]
        elif kind == NFTA_COUNTER_BYTES:
            nbytes = UNPACK_Q(msg, at + 4)[0]
        at += (length + 3) & ~3
    return packets, nbytes


def decode_element(msg, at, end):
    """[keyHex, flags, packets, bytes, keyEndHex or None] of one element in msg[at:end]."""
    key = ''
    key_end = None
    flags = 0
    counter = None
    while at + 4 <= end:
        length, kind = UNPACK_ATTR(msg, at)
        if length < 4:
            break
        kind &= 0x3FFF
        if kind == NFTA_SET_ELEM_KEY:
            key = data_value_at(msg, at + 4, at + length)
        elif kind == NFTA_SET_ELEM_KEY_END:
            key_end = data_value_at(msg, at + 4, at + length)
        elif kind == NFTA_SET_ELEM_FLAGS:
            flags = UNPACK_U32(msg, at + 4)[0]
        elif kind == NFTA_SET_ELEM_EXPR:
            if counter is None:
                counter = counter_at(msg, at + 4, at + length)
        elif kind == NFTA_SET_ELEM_EXPRESSIONS:
            inner = at + 4
            inner_end = at + length
            while counter is None and inner + 4 <= inner_end:
                ilen, _ikind = UNPACK_ATTR(msg, inner)
                if ilen < 4:
                    break
                counter = counter_at(msg, inner + 4, inner + ilen)
                inner += (ilen + 3) & ~3
        at += (length + 3) & ~3
    packets, nbytes = counter if counter is not None else (0, 0)
    return [key, flags, packets, nbytes, key_end]


def read_set(nl, table, name):
    """The elements of set `name`: [keyHex, timeout ms or None, expires ms or None] each (the
    attributes nft lists: timeout only where it differs from the set's own). A set or table that
    does not exist: []."""
    payload = attr(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b'\0') + \
        attr(NFTA_SET_ELEM_LIST_SET, name.encode() + b'\0')
    out = []
    for msg in nl.dump_or_none(NFT_MSG_GETSETELEM, payload):
        for kind, elements in attrs(msg):
            if kind != NFTA_SET_ELEM_LIST_ELEMENTS:
                continue
            for ekind, elem in attrs(elements):
                if ekind != NFTA_LIST_ELEM:
                    continue
                values = dict(attrs(elem))
                if NFTA_SET_ELEM_KEY not in values:
                    continue
                timeout = struct.unpack('>Q', values[NFTA_SET_ELEM_TIMEOUT])[0] if NFTA_SET_ELEM_TIMEOUT in values else None
                expires = struct.unpack('>Q', values[NFTA_SET_ELEM_EXPIRATION])[0] if NFTA_SET_ELEM_EXPIRATION in values else None
                out.append([data_value(values[NFTA_SET_ELEM_KEY]), timeout, expires])
    return out


def read_generation(nl, table):
    """(generation, table exists): the ruleset's generation id, which every committed
    transaction in this network namespace raises (packets adding to dynamic sets do not), and
    whether `table` exists. Two plain get requests, no dump: what a status call asks first, so
    that it lists the table only when something changed since it last did."""
    generation = None
    for msg in nl.dump(NFT_MSG_GETGEN, b'', NLM_F_ACK):
        values = dict(attrs(msg))
        if NFTA_GEN_ID in values:
            generation = struct.unpack('>I', values[NFTA_GEN_ID])[0]
    if generation is None:
        raise RuntimeError('no generation in the reply')
    return generation, table_exists(nl, table)


def table_exists(nl, table):
    """Whether `table` exists (one get request)."""
    try:
        return len(nl.dump(NFT_MSG_GETTABLE, attr(NFTA_TABLE_NAME, table.encode() + b'\0'),
                           NLM_F_ACK)) > 0
    except OSError as error:
        if error.errno != errno.ENOENT:
            raise
        return False


def main():
    nl = Netlink()
    # With "changed": true only what moved since the last reply is sent and decoded: the raw
    # netlink messages of the last reading (one per counter object, one per batch of map
    # elements) are kept, and one that comes back byte for byte the same is skipped unread. A quiet 10,000-rule
    # table costs the dump and a small reply. "full": true (or "changed": false) sends everything.
    seen_objects = set()
    seen_elements = {}
    # Maps read last time because a guard moved: read once more (see read_guarded).
    again = set()
    # (id, maps, guards) of the program being read (see "layout" above).
    layout = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            table = request['table']
            if 'sets' in request:
                # The elements of the dynamic sets (the addresses an apply keeps): read-only,
                # and the counter readings' state is left as it is.
                sets = {name: read_set(nl, table, name) for name in request['sets']}
                sys.stdout.write(json.dumps({'ok': True, 'sets': sets}, separators=(',', ':')) + '\n')
                sys.stdout.flush()
                continue
            if request.get('generation'):
                generation, exists = read_generation(nl, table)
                sys.stdout.write(json.dumps({'ok': True, 'generation': generation, 'table': exists},
                                            separators=(',', ':')) + '\n')
                sys.stdout.flush()
                continue
            if 'layout' in request:
                if 'maps' in request:
                    layout = (request['layout'], request['maps'], request.get('guards'))
                elif layout is None or layout[0] != request['layout']:
                    raise RuntimeError('unknown layout ' + str(request['layout']))
                request['maps'], request['guards'] = layout[1], layout[2]
            changed = bool(request.get('changed'))
            if request.get('full') or not changed:
                seen_objects = set()
                seen_elements = {}
            counters, seen_objects = read_counters(nl, table, seen_objects)
            guards = request.get('guards') if changed and not request.get('full') else None
            quick = bool(request.get('quick'))
            # No table (removed, or not applied yet): no maps to ask for one by one either.
            maps = request.get('maps', []) if counters is not None else []
            if guards is None:
                elements = {}
                maps_seen = {}
                for m in maps:
                    elements[m], maps_seen[m] = read_map(nl, table, m, seen_elements.get(m, set()))
                # Every map was read: none is owed a second look.
                again = set()
            else:
                elements, maps_seen, again = read_guarded(nl, table, maps, guards, counters,
                                                          seen_elements, again, quick)
            if counters is None:
                counters = {}
            seen_elements = maps_seen
            if not changed:
                seen_objects = set()
                seen_elements = {}
            reply = {'ok': True, 'counters': counters, 'elements': elements}
            if changed and request.get('full') and request.get('nonzero') and \
                    table_exists(nl, table):
                # A full reading of a table just loaded is mostly zeros (17,615 map elements at
                # 10,000 rules): only what counted something is sent, and "zeros" tells the
                # helper that every other counter and element of the table reads zero.
                reply['counters'] = {k: v for k, v in counters.items() if v[0] or v[1]}
                counted = {m: [e for e in es if e[2] or e[3]] for m, es in elements.items()}
                reply['elements'] = {m: es for m, es in counted.items() if es}
                reply['zeros'] = True
        except Exception as error:  # reported to the helper, which falls back to nft
            seen_objects = set()
            seen_elements = {}
            again = set()
            reply = {'ok': False, 'error': f'{type(error).__name__}: {error}'}
        sys.stdout.write(json.dumps(reply, separators=(',', ':')) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
