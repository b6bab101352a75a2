package awsfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// foreign is a hand-written file whose every byte must survive snowsts's edits.
const foreign = "# hand written; keep\r\n[default]\r\nregion=us-west-2\r\n\r\n; other\r\n[profile work]\r\n\tregion = eu-west-1\r\ns3 =\r\n  addressing_style = path\r\n"

func write(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func setCreds(section string) func(d *Doc) error {
	return func(d *Doc) error {
		if err := d.Set(section, "aws_access_key_id", "AKID"+section); err != nil {
			return err
		}
		if err := d.Set(section, "aws_secret_access_key", "SECRET"+section); err != nil {
			return err
		}
		return d.MarkManaged(section)
	}
}

func TestUpdateCreatesPrivateFileAndDir(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".aws", "credentials")
	res, err := Update(context.Background(), path, setCreds("snow"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !res.Created || res.Warning != "" {
		t.Errorf("result %+v", res)
	}
	for p, want := range map[string]fs.FileMode{filepath.Dir(path): 0o700, path: 0o600, path + ".lock": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
	got, _ := os.ReadFile(path)
	want := "[snow]\naws_access_key_id = AKIDsnow\naws_secret_access_key = SECRETsnow\nx_snowsts_managed = true\n"
	if string(got) != want {
		t.Errorf("file:\n%q\nwant\n%q", got, want)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".credentials.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temp files left: %v", leftovers)
	}
}

func TestUpdateKeepsModeAndForeignBytes(t *testing.T) {
	tests := []struct {
		name    string
		mode    fs.FileMode
		warning bool
	}{
		{"private", 0o600, false},
		{"group readable", 0o640, true},
		{"world readable", 0o644, true},
		{"owner only read-write-exec", 0o700, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			write(t, path, foreign, tt.mode)
			res, err := Update(context.Background(), path, setCreds("snow"))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || res.Created {
				t.Errorf("result %+v", res)
			}
			if (res.Warning != "") != tt.warning {
				t.Errorf("warning %q, want one: %v", res.Warning, tt.warning)
			}
			if tt.warning && (!strings.Contains(res.Warning, "chmod 600") || strings.Contains(res.Warning, "SECRET")) {
				t.Errorf("warning %q", res.Warning)
			}
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != tt.mode {
				t.Errorf("mode %04o, want %04o", fi.Mode().Perm(), tt.mode)
			}
			got, _ := os.ReadFile(path)
			if !bytes.HasPrefix(got, []byte(foreign)) {
				t.Fatalf("foreign bytes changed:\n%q", got)
			}
			if want := foreign + "\r\n[snow]\r\naws_access_key_id = AKIDsnow\r\naws_secret_access_key = SECRETsnow\r\nx_snowsts_managed = true\r\n"; string(got) != want {
				t.Fatalf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// untouched checks that path still has exactly data and mtime.
func untouched(t *testing.T, path string, data string, mtime time.Time) {
	t.Helper()
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(got) != data || !fi.ModTime().Equal(mtime) {
		t.Fatalf("file was touched: %q, mtime %v (was %v)", got, fi.ModTime(), mtime)
	}
}

func TestUpdateLeavesFileUntouched(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fn   func(d *Doc) error
		code int // exit code of the error, 0 for none
	}{
		{"fn fails", foreign, func(d *Doc) error {
			_ = d.Set("x", "k", "v")
			return errors.New("boom")
		}, exitcode.Failure},
		{"no change", foreign, func(d *Doc) error { return d.Set("default", "region", "us-west-2") }, 0},
		{"nothing done", foreign, func(d *Doc) error { return nil }, 0},
		{"malformed", "[a]\nk = v\n[profile snow\n", func(d *Doc) error { return d.Set("a", "k", "w") }, exitcode.Config},
		{"bad value", foreign, func(d *Doc) error { return d.Set("default", "region", "a\nb") }, exitcode.Failure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			write(t, path, tt.in, 0o600)
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			res, err := Update(context.Background(), path, tt.fn)
			if exitcode.Of(err) != tt.code {
				t.Errorf("err %v (code %d), want code %d", err, exitcode.Of(err), tt.code)
			}
			if res.Changed {
				t.Error("Changed is set")
			}
			if tt.name == "malformed" && !strings.Contains(fmt.Sprint(err), "line 3") {
				t.Errorf("error %q does not name line 3", err)
			}
			untouched(t, path, tt.in, old)
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".config.tmp-*")); len(m) != 0 {
				t.Errorf("temp files left: %v", m)
			}
		})
	}
}

func TestUpdateMissingFileNoChangeCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	res, err := Update(context.Background(), path, func(d *Doc) error { return d.Delete("a", "k") })
	if err != nil || res.Changed || res.Created {
		t.Fatalf("res %+v err %v", res, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("file was created")
	}
}

func TestUpdateFollowsSymlink(t *testing.T) {
	tests := []struct {
		name     string
		relative bool
		dangling bool
	}{
		{"absolute", false, false},
		{"relative", true, false},
		{"dangling", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			realDir := filepath.Join(root, "dotfiles")
			awsDir := filepath.Join(root, ".aws")
			for _, d := range []string{realDir, awsDir} {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(realDir, "aws-config")
			if !tt.dangling {
				write(t, target, foreign, 0o640)
			}
			link := filepath.Join(awsDir, "config")
			dest := target
			if tt.relative {
				dest = "../dotfiles/aws-config"
			}
			if err := os.Symlink(dest, link); err != nil {
				t.Fatal(err)
			}
			if _, err := Update(context.Background(), link, func(d *Doc) error { return d.Set("profile snow", "region", "snow") }); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(link)
			if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("link replaced by a file (%v)", err)
			}
			got, _ := os.ReadFile(target)
			if !strings.HasSuffix(string(got), "[profile snow]\nregion = snow\n") && !strings.HasSuffix(string(got), "[profile snow]\r\nregion = snow\r\n") {
				t.Fatalf("target not updated: %q", got)
			}
			want := fs.FileMode(0o640)
			if tt.dangling {
				want = 0o600
			}
			if fi, _ := os.Stat(target); fi.Mode().Perm() != want {
				t.Errorf("target mode %04o, want %04o", fi.Mode().Perm(), want)
			}
			if m, _ := filepath.Glob(filepath.Join(awsDir, ".*tmp*")); len(m) != 0 {
				t.Errorf("temp file in the link's directory: %v", m)
			}
		})
	}
}

func TestUpdateLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	write(t, path, foreign, 0o600)
	held := flock.New(path + ".lock")
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Update(ctx, path, setCreds("snow"))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("want a lock timeout, got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	got, _ := os.ReadFile(path)
	if string(got) != foreign {
		t.Error("file changed without the lock")
	}
}

// checkAll asserts that the file holds foreign unchanged and every one of n
// sections written by writers.
func checkAll(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(foreign)) {
		t.Fatalf("foreign lines damaged:\n%q", data)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s := "w" + strconv.Itoa(i)
		if v, ok := iniValue(t, data, s, "aws_secret_access_key"); !ok || v != "SECRET"+s {
			t.Errorf("section %s lost (ini.v1 reads %q %v)", s, v, ok)
		}
		if !d.IsManaged(s) {
			t.Errorf("section %s not managed", s)
		}
	}
	if got := len(d.Sections()); got != n+2 {
		t.Errorf("%d sections, want %d", got, n+2)
	}
}

// readWholeFiles parses path without pause until stop closes and counts torn reads.
func readWholeFiles(path string, stop <-chan struct{}, torn *atomic.Int64, reads *atomic.Int64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		data, err := os.ReadFile(path)
		if err != nil {
			torn.Add(1)
			continue
		}
		reads.Add(1)
		if _, err := Parse(data); err != nil || !bytes.HasPrefix(data, []byte(foreign)) || !bytes.HasSuffix(data, []byte("\r\n")) {
			torn.Add(1)
		}
	}
}

func TestUpdateConcurrentGoroutines(t *testing.T) {
	const n = 40
	path := filepath.Join(t.TempDir(), "credentials")
	write(t, path, foreign, 0o600)
	stop := make(chan struct{})
	var torn, reads atomic.Int64
	var readers sync.WaitGroup
	readers.Go(func() { readWholeFiles(path, stop, &torn, &reads) })
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			_, err := Update(ctx, path, setCreds("w"+strconv.Itoa(i)))
			errs <- err
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkAll(t, path, n)
	if torn.Load() != 0 {
		t.Errorf("%d of %d reads saw a partial file", torn.Load(), reads.Load())
	}
	t.Logf("%d whole reads during the writes", reads.Load())
}

// TestHelperProcess is not a test: it is the child of TestUpdateConcurrentProcesses.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("AWSFILE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process for TestUpdateConcurrentProcesses")
	}
	for _, s := range strings.Split(os.Getenv("AWSFILE_HELPER_SECTIONS"), ",") {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		_, err := Update(ctx, path, setCreds(s))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestUpdateConcurrentProcesses(t *testing.T) {
	const procs, each = 6, 5
	path := filepath.Join(t.TempDir(), "credentials")
	write(t, path, foreign, 0o600)
	stop := make(chan struct{})
	var torn, reads atomic.Int64
	var readers sync.WaitGroup
	readers.Go(func() { readWholeFiles(path, stop, &torn, &reads) })
	var cmds []*exec.Cmd
	for p := range procs {
		var secs []string
		for j := range each {
			secs = append(secs, "w"+strconv.Itoa(p*each+j))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "AWSFILE_HELPER_PATH="+path, "AWSFILE_HELPER_SECTIONS="+strings.Join(secs, ","))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("helper output: %s", out.String())
			}
		})
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}
	close(stop)
	readers.Wait()
	checkAll(t, path, procs*each)
	if torn.Load() != 0 {
		t.Errorf("%d of %d reads saw a partial file", torn.Load(), reads.Load())
	}
}

// TestUpdateRemovesStaleTemps: a writer killed mid-write leaves its temp file
// behind; the next Update removes it (once old enough) and nothing else.
func TestUpdateRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	write(t, path, foreign, 0o600)
	old := time.Now().Add(-2 * staleTempAge)
	tests := []struct {
		name    string
		file    string // created in dir
		dir     bool   // a directory, not a file
		link    bool   // a symlink to a file outside dir
		old     bool   // modification time before staleTempAge
		removed bool
	}{
		{name: "stale temp", file: ".credentials.tmp-123456789", old: true, removed: true},
		{name: "another stale temp", file: ".credentials.tmp-1", old: true, removed: true},
		{name: "fresh temp (a writer may be at work)", file: ".credentials.tmp-42"},
		{name: "no digits", file: ".credentials.tmp-", old: true},
		{name: "not only digits", file: ".credentials.tmp-12a", old: true},
		{name: "suffix after the digits", file: ".credentials.tmp-12.bak", old: true},
		{name: "without the leading dot", file: "credentials.tmp-12", old: true},
		{name: "another file's temp", file: ".config.tmp-12", old: true},
		{name: "directory with a temp name", file: ".credentials.tmp-77", dir: true, old: true},
		{name: "symlink with a temp name", file: ".credentials.tmp-78", link: true, old: true},
	}
	outside := filepath.Join(t.TempDir(), "keep")
	write(t, outside, "keep", 0o600)
	for _, tt := range tests {
		p := filepath.Join(dir, tt.file)
		switch {
		case tt.dir:
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		case tt.link:
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
		default:
			write(t, p, "half a file", 0o600)
		}
		if tt.old {
			if err := os.Chtimes(p, old, old); err != nil && !tt.link {
				t.Fatal(err)
			}
			if tt.link {
				if err := os.Chtimes(outside, old, old); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if _, err := Update(context.Background(), path, setCreds("snow")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := os.Lstat(filepath.Join(dir, tt.file))
			if gone := errors.Is(err, fs.ErrNotExist); gone != tt.removed {
				t.Errorf("%s: removed %v, want %v (%v)", tt.file, gone, tt.removed, err)
			}
		})
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "keep" {
		t.Errorf("symlink target: %q %v", data, err)
	}
}

// TestLoadSeesRewrites: a remembered file rewritten with other bytes, of the
// same size or not, is read again, not answered from memory.
func TestLoadSeesRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	big := genConfig(100) // over memoMin
	tests := []struct{ name, data, want string }{
		{"first read", big, "us-west-2"},
		{"same bytes", big, "us-west-2"},
		{"same size, other bytes", strings.Replace(big, "us-west-2", "eu-west-2", 1), "eu-west-2"},
		{"same size, change at the end", strings.Replace(big, "us-west-2", "eu-west-2", 1)[:len(big)-2] + "x\n", "eu-west-2"},
		{"longer", big + "[profile z]\nregion = snow\n", "us-west-2"},
		{"shorter", big[:strings.LastIndexByte(big[:len(big)/2], '\n')+1], "us-west-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, path, tt.data, 0o600)
			d, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(d.Bytes()); got != tt.data {
				t.Fatalf("Load gives other bytes than the file's (%d, want %d)", len(got), len(tt.data))
			}
			if v, _ := d.Get("default", "region"); v != tt.want {
				t.Errorf("region = %q, want %q", v, tt.want)
			}
		})
	}
}
