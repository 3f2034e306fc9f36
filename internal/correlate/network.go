package correlate

import (
	"net/netip"
	"strings"
)

// CIDR correlation, as MISP's advanced correlation does it: the value1 of an ip-src or
// ip-dst attribute (or of their |port forms) is a single address or a CIDR block, and an
// address correlates with the blocks that contain it, IPv4 with IPv4 and IPv6 with IPv6.
//
// In the index an address is a key of its family byte (4 or 6) followed by its bytes, so
// that within a family the byte order of keys is the order of addresses: a block's addresses
// are a range of keys, from its first address to its last.

// networkTypes are the types whose value1 takes part in CIDR correlation.
var networkTypes = map[string]bool{
	"ip-src": true, "ip-dst": true, "ip-src|port": true, "ip-dst|port": true,
}

// addressKey returns the key of an address.
func addressKey(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return append([]byte{4}, b[:]...)
	}
	b := a.As16()
	return append([]byte{6}, b[:]...)
}

// parseAddress reads a single address, without a zone: a value with a "/" is not one.
func parseAddress(v string) (netip.Addr, bool) {
	if strings.Contains(v, "/") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	return a, err == nil && a.Zone() == ""
}

// parseBlock reads a CIDR block; the address may have host bits set (10.1.2.3/8 is 10/8),
// as MISP masks them.
func parseBlock(v string) (netip.Prefix, bool) {
	if !strings.Contains(v, "/") {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// lastAddress returns the last address of a block.
func lastAddress(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// blockContains reports whether the value block, a CIDR block, contains the value addr, a
// single address of the same family.
func blockContains(block, addr string) bool {
	p, ok := parseBlock(block)
	if !ok {
		return false
	}
	a, ok := parseAddress(addr)
	return ok && a.Is4() == p.Addr().Is4() && p.Contains(a)
}
