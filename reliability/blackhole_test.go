//go:build linux

package reliability

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// blackholePort is a loopback port that silently drops connects: a socket
// listening with a backlog of 0 whose accept queue is filled and never
// accepted, so Linux drops each new SYN as a firewall would (the approach of
// pkg/doctor's tests). No packet leaves the machine.
func blackholePort(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fail := func(err error) string { syscall.Close(fd); t.Fatalf("black-holed port: %v", err); return "" }
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
	port := strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
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
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
		syscall.Close(fd)
	})
	return port
}

// silentPort is a loopback port that accepts connections and never answers
// (nor closes them until the test ends): a device whose service hangs.
func silentPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// closedPort is a loopback port nothing listens on: connects are refused.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
