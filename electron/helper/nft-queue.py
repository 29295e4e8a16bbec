#!/usr/bin/env python3
# Runtime: python3 (standard library only), as root, spawned by the helper (electron/helper/
# delay-queue.ts) in the helper's network namespace. The Delay action's userspace half:
#   1. fills the placeholder chains the compiler left empty in treewall's table (one per queue,
#      `dq0`, `dq1`, ...) with one rule each that queues the packet: the xt NFQUEUE target through
#      nft_compat (NFT_MSG_NEWRULE in a batch, after flushing the chain), or the native nft
#      `queue` expression when the kernel has no nft_compat / xt_NFQUEUE;
#   2. binds those queue numbers (nfnetlink_queue, copy mode meta: no payload is copied), holds
#      each packet for its queue's delay and then gives it the verdict NF_ACCEPT, in arrival
#      order. The kernel bounds each queue (MAX_HELD packets); over that, a fail-open queue
#      accepts at once and a fail-closed one drops.
# Invariant: it only ever writes rules into the chains it is told, of the table it is told, and
# only after checking every name and number (names [A-Za-z0-9_], queue numbers in treewall's
# range, delays in 0..60000 ms): it never executes or forwards text it was handed. Its only
# verdict is NF_ACCEPT. When stdin closes or on SIGTERM it releases every held packet first.
#   in (one JSON line per change; each line is the whole wanted state):
#      {"table": "treewall", "queues": [{"num": 27200, "ms": 300, "bypass": true, "chain": "dq0"}]}
#      {"stats": true}: counts only
#   out (one JSON line per request line):
#      {"ok": true, "expr": "xt NFQUEUE" | "queue" | null, "held": N, "released": N, "bound": [...]}
#      {"ok": false, "error": "..."}
import errno
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import time
from collections import deque

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 0x10
NFNL_MSG_BATCH_END = 0x11
NFT_MSG_NEWRULE = 6
NFT_MSG_DELRULE = 8
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000
AF_UNSPEC = 0
NFPROTO_INET = 1
NF_ACCEPT = 1

NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_EXPRESSIONS = 1, 2, 4
NFTA_LIST_ELEM = 1
NFTA_EXPR_NAME, NFTA_EXPR_DATA = 1, 2
NFTA_TARGET_NAME, NFTA_TARGET_REV, NFTA_TARGET_INFO = 1, 2, 3
NFTA_QUEUE_NUM, NFTA_QUEUE_TOTAL, NFTA_QUEUE_FLAGS = 1, 2, 3
NFT_QUEUE_FLAG_BYPASS = 0x01
NFQ_FLAG_BYPASS = 0x01  # xt_NFQ_info_v3.flags

NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND, NFQNL_CFG_CMD_UNBIND = 1, 2
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 0x1

# Queue numbers treewall owns (docs/helper.md): 27200-27215, one per distinct delay and mode.
QUEUE_FIRST = 27200
QUEUE_LAST = 27215
MAX_DELAY_MS = 60000
# Packets one queue may hold; the kernel enforces it (NFQA_CFG_QUEUE_MAXLEN).
MAX_HELD = 1024
NAME = re.compile(r'^[A-Za-z0-9_]{1,64}$')


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def nested(kind, payload):
    return attr(kind | NLA_F_NESTED, payload)


def cstr(text):
    return text.encode('ascii') + b'\0'


def attrs(data):
    out = []
    at = 0
    while at + 4 <= len(data):
        length, kind = struct.unpack_from('=HH', data, at)
        if length < 4 or at + length > len(data):
            break
        out.append((kind & 0x3FFF, data[at + 4:at + length]))
        at += (length + 3) & ~3
    return out


def message(msg_type, flags, seq, family, res_id, payload):
    """One netlink message: nlmsghdr + nfgenmsg (res_id big-endian) + attributes."""
    body = struct.pack('=BBH', family, 0, socket.htons(res_id)) + payload
    return struct.pack('=IHHII', 16 + len(body), msg_type, flags, seq, 0) + body


def nfqueue_target(num, bypass):
    """The rule's one expression: xt NFQUEUE revision 3 (struct xt_NFQ_info_v3: queuenum,
    queues_total, flags; host byte order, padded to 8 bytes as XT_ALIGN wants)."""
    info = struct.pack('=HHH', num, 1, NFQ_FLAG_BYPASS if bypass else 0) + b'\0\0'
    data = (attr(NFTA_TARGET_NAME, cstr('NFQUEUE')) + attr(NFTA_TARGET_REV, struct.pack('>I', 3))
            + attr(NFTA_TARGET_INFO, info))
    return attr(NFTA_EXPR_NAME, cstr('target')) + nested(NFTA_EXPR_DATA, data)


def native_queue(num, bypass):
    """The native nft `queue num N [bypass]` expression (needs the nft_queue module)."""
    data = (attr(NFTA_QUEUE_NUM, struct.pack('>H', num)) + attr(NFTA_QUEUE_TOTAL, struct.pack('>H', 1))
            + attr(NFTA_QUEUE_FLAGS, struct.pack('>H', NFT_QUEUE_FLAG_BYPASS if bypass else 0)))
    return attr(NFTA_EXPR_NAME, cstr('queue')) + nested(NFTA_EXPR_DATA, data)


def fill_batch(table, queues, expression, seq):
    """One nftables batch: for each placeholder chain, flush it and append its queue rule.
    Returns (bytes, the sequence numbers that want an answer)."""
    parts = [message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, b'')]
    wanted = []
    for q in queues:
        where = attr(NFTA_RULE_TABLE, cstr(table)) + attr(NFTA_RULE_CHAIN, cstr(q['chain']))
        seq += 1
        parts.append(message((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELRULE, NLM_F_REQUEST | NLM_F_ACK,
                             seq, NFPROTO_INET, 0, where))
        wanted.append(seq)
        rule = where + nested(NFTA_RULE_EXPRESSIONS,
                              nested(NFTA_LIST_ELEM, expression(q['num'], q['bypass'])))
        seq += 1
        parts.append(message((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE,
                             NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
                             seq, NFPROTO_INET, 0, rule))
        wanted.append(seq)
    seq += 1
    parts.append(message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, b''))
    return b''.join(parts), wanted


def config_message(num, seq, cmd=None, params=None, maxlen=None, flags=None):
    payload = b''
    if cmd is not None:
        payload += attr(NFQA_CFG_CMD, struct.pack('>BBH', cmd, 0, 0))
    if params is not None:
        payload += attr(NFQA_CFG_PARAMS, struct.pack('>IB', params[0], params[1]))
    if maxlen is not None:
        payload += attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('>I', maxlen))
    if flags is not None:
        payload += attr(NFQA_CFG_MASK, struct.pack('>I', NFQA_CFG_F_FAIL_OPEN))
        payload += attr(NFQA_CFG_FLAGS, struct.pack('>I', flags))
    return message((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq,
                   AF_UNSPEC, num, payload)


def verdict_message(num, packet_id, seq):
    payload = attr(NFQA_VERDICT_HDR, struct.pack('>II', NF_ACCEPT, packet_id))
    return message((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT, NLM_F_REQUEST, seq, AF_UNSPEC,
                   num, payload)


def parse_packet(data):
    """A NFQNL_MSG_PACKET message's queue number and packet id (None if it is something else)."""
    if len(data) < 20:
        return None
    _length, kind = struct.unpack_from('=IH', data, 0)
    if kind != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
        return None
    num = struct.unpack_from('>H', data, 18)[0]
    for k, v in attrs(data[20:]):
        if k == NFQA_PACKET_HDR and len(v) >= 4:
            return num, struct.unpack_from('>I', v, 0)[0]
    return None


def split_messages(data):
    at = 0
    while at + 16 <= len(data):
        length = struct.unpack_from('=I', data, at)[0]
        if length < 16 or at + length > len(data):
            break
        yield data[at:at + length]
        at += (length + 3) & ~3


def validate(request):
    """The wanted state, every field checked; ValueError names what is wrong."""
    table = request.get('table')
    if not isinstance(table, str) or not NAME.match(table):
        raise ValueError('table: a name of letters, digits and _ expected')
    queues = request.get('queues')
    if not isinstance(queues, list) or len(queues) > QUEUE_LAST - QUEUE_FIRST + 1:
        raise ValueError('queues: a list of at most %d expected' % (QUEUE_LAST - QUEUE_FIRST + 1))
    out = []
    seen = set()
    for q in queues:
        if not isinstance(q, dict):
            raise ValueError('queues: objects expected')
        num, ms, bypass, chain = q.get('num'), q.get('ms'), q.get('bypass'), q.get('chain')
        if type(num) is not int or not QUEUE_FIRST <= num <= QUEUE_LAST or num in seen:
            raise ValueError('queue number %r: %d-%d, each once' % (num, QUEUE_FIRST, QUEUE_LAST))
        if type(ms) is not int or not 0 <= ms <= MAX_DELAY_MS:
            raise ValueError('delay %r: whole milliseconds 0-%d expected' % (ms, MAX_DELAY_MS))
        if type(bypass) is not bool:
            raise ValueError('bypass: true or false expected')
        if not isinstance(chain, str) or not NAME.match(chain):
            raise ValueError('chain: a name of letters, digits and _ expected')
        seen.add(num)
        out.append({'num': num, 'ms': ms, 'bypass': bypass, 'chain': chain})
    return table, out


class Worker:
    def __init__(self):
        self.queue_sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.queue_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.queue_sock.bind((0, 0))
        self.seq = 1
        self.bound = {}  # queue number -> {'ms', 'bypass'}
        self.held = {}  # queue number -> deque of (due, packet id)
        self.released = 0
        self.expr = None

    def next_seq(self):
        self.seq += 1
        return self.seq

    def talk(self, sock, data, wanted):
        """Send data; wait for the answers to the sequence numbers in wanted (netlink acks).
        Packets that arrive on the queue socket meanwhile are held as usual."""
        sock.send(data)
        wanted = set(wanted)
        first_error = 0
        deadline = time.monotonic() + 5
        while wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError(errno.ETIMEDOUT, 'no answer from the kernel')
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                continue
            data = sock.recv(1 << 20)
            for msg in split_messages(data):
                _length, kind, _flags, seq, _pid = struct.unpack_from('=IHHII', msg, 0)
                if kind == NLMSG_ERROR and seq in wanted:
                    code = struct.unpack_from('=i', msg, 16)[0]
                    wanted.discard(seq)
                    if code != 0 and first_error == 0:
                        first_error = -code
                elif sock is self.queue_sock:
                    self.on_packet(msg)
        if first_error:
            raise OSError(first_error, os.strerror(first_error))

    def fill(self, table, queues):
        """Write the queue rules into the placeholder chains: xt NFQUEUE, else native queue."""
        if not queues:
            return None
        errors = []
        for name, expression in (('xt NFQUEUE', nfqueue_target), ('queue', native_queue)):
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            try:
                sock.bind((0, 0))
                data, wanted = fill_batch(table, queues, expression, self.next_seq())
                self.seq += len(wanted) + 1
                self.talk(sock, data, wanted)
                return name
            except OSError as error:
                errors.append('%s: %s' % (name, error.strerror or error))
            finally:
                sock.close()
        raise RuntimeError('cannot fill the Delay chains of table %s (%s)' % (table, '; '.join(errors)))

    def sync(self, table, queues):
        wanted = {q['num']: q for q in queues}
        for num in list(self.bound):
            if num not in wanted:
                self.release(num, everything=True)
                seq = self.next_seq()
                self.talk(self.queue_sock, config_message(num, seq, cmd=NFQNL_CFG_CMD_UNBIND), [seq])
                del self.bound[num]
                self.held.pop(num, None)
        for num, q in wanted.items():
            if num not in self.bound:
                seq = self.next_seq()
                try:
                    self.talk(self.queue_sock, config_message(num, seq, cmd=NFQNL_CFG_CMD_BIND), [seq])
                except OSError as error:
                    if error.errno in (errno.EBUSY, errno.EPERM):
                        raise RuntimeError('queue %d is bound by another program' % num)
                    raise
                self.held[num] = deque()
            seq = self.next_seq()
            self.talk(self.queue_sock, config_message(
                num, seq, params=(0, NFQNL_COPY_META), maxlen=MAX_HELD,
                flags=NFQA_CFG_F_FAIL_OPEN if q['bypass'] else 0), [seq])
            self.bound[num] = {'ms': q['ms'], 'bypass': q['bypass']}
        # Bound first, then the rules: a packet queued from the first moment finds a reader.
        self.expr = self.fill(table, queues)

    def on_packet(self, msg):
        parsed = parse_packet(msg)
        if parsed is None:
            return
        num, packet_id = parsed
        conf = self.bound.get(num)
        if conf is None:
            return
        self.held[num].append((time.monotonic() + conf['ms'] / 1000.0, packet_id))

    def release(self, num, everything=False):
        held = self.held.get(num)
        now = time.monotonic()
        while held and (everything or held[0][0] <= now):
            _due, packet_id = held.popleft()
            try:
                self.queue_sock.send(verdict_message(num, packet_id, self.next_seq()))
                self.released += 1
            except OSError:
                pass  # the kernel dropped it meanwhile (queue flushed): nothing to release

    def release_all(self):
        for num in list(self.held):
            self.release(num, everything=True)

    def next_due(self):
        dues = [h[0][0] for h in self.held.values() if h]
        return min(dues) if dues else None

    def stats(self):
        return {'ok': True, 'expr': self.expr, 'held': sum(len(h) for h in self.held.values()),
                'released': self.released, 'bound': sorted(self.bound)}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    worker = Worker()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    stdin = sys.stdin.buffer
    pending = b''
    while not stopping:
        due = worker.next_due()
        timeout = None if due is None else max(0.0, due - time.monotonic())
        try:
            ready, _, _ = select.select([worker.queue_sock, stdin], [], [], timeout)
        except InterruptedError:
            continue
        if worker.queue_sock in ready:
            try:
                # Drain what is there without blocking (one wakeup may carry many packets).
                while True:
                    data = worker.queue_sock.recv(1 << 20, socket.MSG_DONTWAIT)
                    for msg in split_messages(data):
                        worker.on_packet(msg)
            except BlockingIOError:
                pass
            except OSError as error:
                if error.errno != errno.ENOBUFS:  # over the socket buffer: the kernel decided
                    raise
        if stdin in ready:
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ValueError('a JSON object expected')
                    if request.get('stats') is True:
                        reply(worker.stats())
                        continue
                    table, queues = validate(request)
                    worker.sync(table, queues)
                    reply(worker.stats())
                except (ValueError, RuntimeError, OSError) as error:
                    reply({'ok': False, 'error': str(error)})
        for num in list(worker.held):
            worker.release(num)
    worker.release_all()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
