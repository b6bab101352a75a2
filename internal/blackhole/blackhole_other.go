//go:build !linux

// Package blackhole makes loopback ports that silently drop connects, for tests
// of what snowsts does when a device or a firewall drops packets.
package blackhole

import "errors"

// Listen fails: a black-holed loopback port needs Linux.
func Listen() (string, func(), error) {
	return "", nil, errors.New("a black-holed loopback port needs Linux")
}
