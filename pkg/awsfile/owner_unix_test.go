//go:build unix

package awsfile

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestUpdateKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file another owner")
	}
	path := filepath.Join(t.TempDir(), "credentials")
	write(t, path, foreign, 0o600)
	if err := os.Chown(path, 4321, 4322); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(context.Background(), path, setCreds("snow")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 4321 || st.Gid != 4322 {
		t.Errorf("owner %d:%d, want 4321:4322", st.Uid, st.Gid)
	}
}
