#!/usr/bin/env python3
# Runtime: python3 (standard library only), tests only, started by dataplane.ts as
#   ip netns exec FW python3 rawsend.py PEER_NETNS_PATH PROBES_JSON_FILE
# Sends hand-built IPv4/IPv6 packets so the differential test controls every field the rules test
# (addresses, ports, TCP flags, ICMP type/code, TTL). Invariant: probes are sent one at a time,
# in order, so the kernel sees them in the order the evaluator judges them: a veth transmit
# queues the frame for the peer and the pending receive softirq runs when the sender re-enables
# bottom halves, still inside send(). (Pinning to one CPU was tried: sched_setaffinity could
# block for many seconds on this shared box.)
#   direction "in":  an Ethernet frame sent by the peer namespace on `ifname` (AF_PACKET), so it
#                    arrives at the firewall namespace on the other end of that veth;
#   direction "out": a raw IP packet sent by the firewall namespace itself (IP_HDRINCL), with
#                    SO_MARK set so the observer can tell probes from replies the kernel makes.
# Prints one line: {"sent": N}.
import ctypes
import faulthandler
import json
import os
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
SO_MARK = 36
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
FLAG_BITS = {'fin': 0x01, 'syn': 0x02, 'rst': 0x04, 'psh': 0x08, 'ack': 0x10, 'urg': 0x20, 'ecn': 0x40, 'cwr': 0x80}


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


# IPv4 options by number, as the kernel accepts them on a probe AND nftables can read them (it
# parses options as if a socket had set them: a source route needs its pointer at the first hop
# and room for one address): a loose/strict source route whose one hop is the packet's own
# destination (so it is delivered, or routed, as usual), a full record route, a router alert;
# each padded with NOPs to whole words (an EOL pad would end the list). Lengths match
# dataplane.ts's ipOptionLength.
def ip_option(number: int, dst: bytes) -> bytes:
    if number in (3, 9):
        return bytes([0x83 if number == 3 else 0x89, 7, 4]) + dst + bytes([1])
    if number == 7:
        return bytes([0x07, 3, 4, 1])
    if number == 20:
        return bytes([0x94, 4, 0, 0])
    raise ValueError('IP option %d is not one rawsend.py writes' % number)


# TCP options by kind, NOP-padded to 4-byte words (lengths must match dataplane.ts).
TCP_OPTION_BYTES = {
    2: bytes([2, 4, 0x05, 0xB4]),
    3: bytes([1, 3, 3, 7]),
    4: bytes([1, 1, 4, 2]),
    5: bytes([1, 1, 5, 10]) + bytes(8),
    8: bytes([1, 1, 8, 10]) + bytes(8),
}


def ip_options(p) -> bytes:
    dst = socket.inet_pton(socket.AF_INET, p['dst'])
    return b''.join(ip_option(o, dst) for o in p.get('ipOptions', []))


def tcp_options(p) -> bytes:
    return b''.join(TCP_OPTION_BYTES[o] for o in p.get('tcpOptions', []))


def l4(p, pseudo: bytes) -> bytes:
    proto = p['protocol']
    # The packet's payload bytes (content rules), padded with zeros to payloadLen.
    given = bytes.fromhex(p.get('payloadHex', ''))
    payload = (given + bytes(p.get('payloadLen', 0)))[:p.get('payloadLen', 0)]
    if proto == 6:
        flags = 0
        for f in p.get('flags', []):
            flags |= FLAG_BITS[f]
        opts = tcp_options(p)
        words = 5 + len(opts) // 4
        hdr = struct.pack('!HHIIBBHHH', p['srcPort'], p['dstPort'], p['seq'], p['ack'], words << 4, flags, 64240, 0, 0) + opts
        csum = checksum(pseudo + hdr + payload)
        return hdr[:16] + struct.pack('!H', csum) + hdr[18:] + payload
    if proto == 17:
        length = 8 + len(payload)
        hdr = struct.pack('!HHHH', p['srcPort'], p['dstPort'], length, 0)
        csum = checksum(pseudo + hdr + payload) or 0xFFFF
        return hdr[:6] + struct.pack('!H', csum) + payload
    if proto in (1, 58):
        # Echo-style body: identifier and sequence carry the probe id (harmless for other types).
        hdr = struct.pack('!BBHHH', p['icmpType'], p['icmpCode'], 0, p['id'] & 0xFFFF, 1)
        body = hdr + payload
        csum = checksum((pseudo if proto == 58 else b'') + body)
        return body[:2] + struct.pack('!H', csum) + body[4:]
    return payload


def ipv4(p) -> bytes:
    src = socket.inet_pton(socket.AF_INET, p['src'])
    dst = socket.inet_pton(socket.AF_INET, p['dst'])
    body_len = {6: 20 + len(tcp_options(p)), 17: 8, 1: 8}.get(p['protocol'], 0) + p.get('payloadLen', 0)
    pseudo = src + dst + struct.pack('!BBH', 0, p['protocol'], body_len)
    body = l4(p, pseudo)
    opts = ip_options(p)
    total = 20 + len(opts) + len(body)
    ihl = 5 + len(opts) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, p.get('tos', 0), total, p['id'] & 0xFFFF, 0, p.get('ttl', 64), p['protocol'], 0, src, dst) + opts
    hdr = hdr[:10] + struct.pack('!H', checksum(hdr)) + hdr[12:]
    return hdr + body


def ipv6(p) -> bytes:
    src = socket.inet_pton(socket.AF_INET6, p['src'])
    dst = socket.inet_pton(socket.AF_INET6, p['dst'])
    body_len = {6: 20 + len(tcp_options(p)), 17: 8, 58: 8}.get(p['protocol'], 0) + p.get('payloadLen', 0)
    pseudo = src + dst + struct.pack('!I3xB', body_len, p['protocol'])
    body = l4(p, pseudo)
    first = (6 << 28) | (p.get('tos', 0) << 20) | (p['flowLabel'] & 0xFFFFF)
    hdr = struct.pack('!IHBB16s16s', first, len(body), p['protocol'], p.get('ttl', 64), src, dst)
    return hdr + body


def mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(':'))


def main() -> None:
    # If anything ever blocks, say where (stderr reaches the test's error message) and give up.
    faulthandler.dump_traceback_later(20, exit=True)
    peer_netns, probes_file = sys.argv[1], sys.argv[2]
    with open(probes_file) as f:
        spec = json.load(f)
    probes = spec['probes']
    # Raw IP sockets are made here, in the firewall namespace; then we move to the peer's.
    out4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    out6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for s in (out4, out6):
        s.setsockopt(socket.SOL_SOCKET, SO_MARK, spec['mark'])
        s.settimeout(2.0)
    libc = ctypes.CDLL('libc.so.6', use_errno=True)
    fd = os.open(peer_netns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns failed')
    os.close(fd)
    links = {}
    for name in spec['interfaces']:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((name, 0))
        s.settimeout(2.0)
        links[name] = s
    sent = 0
    last_direction = None
    for p in probes:
        if last_direction is not None and last_direction != p['direction']:
            time.sleep(0.002)  # let the other path finish (softirq) before switching
        last_direction = p['direction']
        packet = ipv4(p) if p['ipVersion'] == 4 else ipv6(p)
        if p['direction'] == 'in':
            eth = mac(p['dstMac']) + mac(p['srcMac']) + struct.pack('!H', ETH_P_IP if p['ipVersion'] == 4 else ETH_P_IPV6)
            try:
                links[p['ifname']].send(eth + packet)
            except socket.timeout:
                print('probe %d: send on %s timed out' % (p['id'], p['ifname']), file=sys.stderr)
        else:
            try:
                (out4 if p['ipVersion'] == 4 else out6).sendto(packet, (p['dst'], 0))
            except PermissionError:
                pass  # EPERM: a rule in the output hook dropped it, which is a fate, not an error
            except socket.timeout:
                print('probe %d: sendto %s timed out' % (p['id'], p['dst']), file=sys.stderr)
        sent += 1
        if sent % 32 == 0:
            time.sleep(0.001)  # keep well under the veth backlog
    time.sleep(0.02)
    print(json.dumps({'sent': sent}))


if __name__ == '__main__':
    main()
