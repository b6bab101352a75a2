package main

import (
	"errors"
	"net"
	"strconv"
	"syscall"
)

var errNotBlackholed = errors.New("the accept queue never filled")

// blackholeListener makes a loopback port that silently drops connects: a
// socket listening with a backlog of 0 whose accept queue is filled and never
// accepted, so Linux drops each new SYN (as a firewall would) and a client
// waits for its timeout. A socket merely bound would answer RST (refused).
func blackholeListener() (port string, closeFn func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	port = strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	held, err := fillBacklog(net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	return port, func() {
		for _, c := range held {
			c.Close()
		}
		syscall.Close(fd)
	}, nil
}
