//go:build linux || darwin

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// inForeground reports whether snowsts's process group is the foreground
// group of its controlling terminal, which is where keyboard signals go.
func inForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	var pgrp int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp))); errno != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}
