//go:build linux

// Package blackhole makes loopback ports that silently drop connects, for tests
// of what snowsts does when a device or a firewall drops packets. No packet
// leaves the machine.
package blackhole

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Listen makes a loopback port that silently drops connects: a
// socket listening with a backlog of 0 whose accept queue is filled and never
// accepted, so Linux drops each new SYN as a firewall would. (A socket that is
// only bound answers RST: refused, not dropped.) No packet leaves the machine.
func Listen() (port string, closeFn func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	fail := func(err error) (string, func(), error) { syscall.Close(fd); return "", nil, err }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		return fail(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	port = strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	var held []net.Conn
	for i := 0; ; i++ {
		if i == 16 {
			for _, c := range held {
				c.Close()
			}
			return fail(errors.New("the accept queue never filled"))
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 300*time.Millisecond)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	return port, func() {
		for _, c := range held {
			c.Close()
		}
		syscall.Close(fd)
	}, nil
}
