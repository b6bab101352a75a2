//go:build unix

package awsfile

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of old when running as root (a root
// process editing another user's file must not take it over); otherwise the
// process cannot chown and the file is the caller's anyway.
func keepOwner(f *os.File, old os.FileInfo) error {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
