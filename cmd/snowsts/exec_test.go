package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/shellenv"
)

// execHome writes a device profile and a fresh assumed-role profile "ops" in
// a temporary home with the real profile writers, and returns the
// environment a snowsts process needs to use them (no device is called:
// the profile's credentials are valid for an hour).
func execHome(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	paths := awsfile.Paths{Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials")}
	ctx := context.Background()
	if _, err := profile.WriteDevice(ctx, paths, profile.Device{
		Name: "snow", Endpoints: profile.EndpointsFor("127.0.0.1", false),
		AccessKeyID: "AKIAEXAMPLEEXAMPLE01", SecretAccessKey: "device-secret-0123456789",
	}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.WriteAssumed(ctx, paths, profile.Assumed{
		Target: "ops",
		Role: profile.Role{DeviceProfile: "snow", RoleARN: "arn:aws:iam::123456789012:role/ops",
			SessionName: "snowsts-tester", DurationSeconds: 3600},
		ServicesName: "snow",
		Credentials: device.Credentials{AccessKeyID: "ASIAEXAMPLEEXAMPLE01", SecretAccessKey: "session-secret-0123456789",
			SessionToken: "session-token-0123456789", Expiration: time.Now().Add(time.Hour)},
	}, false); err != nil {
		t.Fatal(err)
	}
	return []string{
		"HOME=" + dir, "USER=tester", "PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + paths.Config, "AWS_SHARED_CREDENTIALS_FILE=" + paths.Credentials,
		"SNOWSTS_CACHE_DIR=" + filepath.Join(dir, "cache"),
	}
}

// TestExecSignals starts the real snowsts binary (installed on PATH by
// testscript.Main), waits until its command is ready, signals snowsts and
// checks what the command saw through its exit code.
func TestExecSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals are not forwarded on Windows")
	}
	bin, err := exec.LookPath("snowsts")
	if err != nil {
		t.Fatalf("snowsts is not on PATH (testscript.Main installs it): %v", err)
	}
	tests := []struct {
		name   string
		script string
		sig    syscall.Signal
		want   int
	}{
		{"SIGTERM reaches a trapping command", `trap "exit 42" TERM; echo ready; sleep 10 >/dev/null 2>&1 & wait`, syscall.SIGTERM, 42},
		{"SIGINT reaches it off the terminal", `trap "exit 43" INT; echo ready; sleep 10 >/dev/null 2>&1 & wait`, syscall.SIGINT, 43},
		{"SIGHUP reaches it", `trap "exit 44" HUP; echo ready; sleep 10 >/dev/null 2>&1 & wait`, syscall.SIGHUP, 44},
		{"killed by the forwarded signal gives 128+n", `echo ready; sleep 10 >/dev/null 2>&1 & wait`, syscall.SIGTERM, 128 + int(syscall.SIGTERM)},
		{"snowsts outlives a signal the command ignores", `trap "" TERM; echo ready; sleep 1; exit 7`, syscall.SIGTERM, 7},
	}
	env := execHome(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, "exec", "--target-profile", "ops", "--", "sh", "-c", tt.script)
			cmd.Env = env
			cmd.Stderr = &strings.Builder{}
			// The scripts' background sleep keeps no pipe of ours open; should
			// one leak, Wait still returns.
			cmd.WaitDelay = 5 * time.Second
			// Its own session: no controlling terminal, so every signal is
			// passed on, and the whole group can be cleaned up.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
			ready := make(chan error, 1)
			go func() {
				line, err := bufio.NewReader(out).ReadString('\n')
				if err == nil && line != "ready\n" {
					err = errors.New("first line " + line)
				}
				ready <- err
			}()
			select {
			case err := <-ready:
				if err != nil {
					t.Fatalf("command not ready: %v; stderr: %s", err, cmd.Stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("command not ready after 20s")
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("snowsts did not exit within 20s of the signal")
			}
			got := 0
			var ee *exec.ExitError
			if errors.As(werr, &ee) {
				got = ee.ExitCode()
			} else if werr != nil {
				t.Fatal(werr)
			}
			if got != tt.want {
				t.Errorf("exit code %d, want %d; stderr: %q", got, tt.want, cmd.Stderr)
			}
			if s := cmd.Stderr.(*strings.Builder).String(); s != "" {
				t.Errorf("snowsts wrote on stderr: %q", s)
			}
		})
	}
}

func TestExecFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantArgv []string
		wantCode int
		check    func(t *testing.T, o *execOptions)
	}{
		{name: "after --", args: []string{"--", "aws", "s3", "ls"}, wantArgv: []string{"aws", "s3", "ls"}},
		{name: "command flags stay the command's", args: []string{"--target-profile", "ops", "sh", "-c", "echo", "--role-arn", "x"},
			wantArgv: []string{"sh", "-c", "echo", "--role-arn", "x"},
			check: func(t *testing.T, o *execOptions) {
				if o.source.target != "ops" || o.source.roleGiven {
					t.Errorf("source %+v", o.source)
				}
			}},
		{name: "assume flags", args: []string{"--role-arn", "arn:aws:iam::123456789012:role/a", "--duration-seconds", "900", "--", "env"},
			wantArgv: []string{"env"},
			check: func(t *testing.T, o *execOptions) {
				if !o.source.roleGiven || o.source.role.duration != 900 {
					t.Errorf("source %+v", o.source)
				}
			}},
		{name: "no command", args: []string{"--target-profile", "ops"}, wantCode: exitcode.Usage},
		{name: "only --", args: []string{"--"}, wantCode: exitcode.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _ := simTestStreams()
			f := &factory{io: io, getenv: func(string) string { return "" }, now: time.Now, timeout: time.Second, profile: "snow"}
			var got *execOptions
			cmd := newExecCmd(f, func(_ context.Context, o *execOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Out)
			cmd.SetErr(io.ErrOut)
			err := cmd.Execute()
			if tt.wantCode != 0 {
				if exitcode.Of(err) != tt.wantCode {
					t.Fatalf("error %v (code %d), want code %d", err, exitcode.Of(err), tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.argv, tt.wantArgv) {
				t.Errorf("argv %q, want %q", got.argv, tt.wantArgv)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestExecEnv(t *testing.T) {
	vars := []shellenv.Var{{Name: shellenv.AccessKeyID, Value: "ASIANEW"}, {Name: shellenv.Region, Value: "snow"}}
	tests := []struct {
		name string
		base []string
		want []string
	}{
		{name: "adds to the environment", base: []string{"HOME=/h", "PATH=/bin"},
			want: []string{"HOME=/h", "PATH=/bin", "AWS_ACCESS_KEY_ID=ASIANEW", "AWS_REGION=snow", "SNOWSTS_EXEC=ops"}},
		{name: "replaces old values and drops profiles and stale variables",
			base: []string{"AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_PROFILE=p", "AWS_DEFAULT_PROFILE=p", "AWS_SECURITY_TOKEN=t",
				"AWS_CA_BUNDLE=/old.pem", "AWS_SESSION_TOKEN=old", "AWS_ENDPOINT_URL_S3=http://old", "SNOWSTS_EXEC=x", "KEEP=1"},
			want: []string{"KEEP=1", "AWS_ACCESS_KEY_ID=ASIANEW", "AWS_REGION=snow", "SNOWSTS_EXEC=ops"}},
		{name: "keeps unrelated AWS variables and odd entries", base: []string{"AWS_PAGER=", "=C:=C:\\", "AWS_PROFILEX=1"},
			want: []string{"AWS_PAGER=", "AWS_PROFILEX=1", "AWS_ACCESS_KEY_ID=ASIANEW", "AWS_REGION=snow", "SNOWSTS_EXEC=ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := execEnv(tt.base, vars, "ops"); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	runA := write("a/run", 0o755)
	write("a/plain", 0o644)
	runB := write("b/plain", 0o755)
	write("b/only-plain", 0o644)
	if err := os.MkdirAll(filepath.Join(a, "isdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	list := strings.Join([]string{"", ".", "rel", a, b}, string(os.PathListSeparator))
	tests := []struct {
		name, file, path string
		want             string
		code             int
	}{
		{name: "found", file: "run", path: list, want: runA},
		{name: "skips a non-executable match", file: "plain", path: list, want: runB},
		{name: "only non-executable: 126", file: "only-plain", path: list, code: exitCannotRun},
		{name: "missing: 127", file: "nope", path: list, code: exitNotFound},
		{name: "a directory is not a command", file: "isdir", path: list, code: exitNotFound},
		{name: "the new PATH, not ours", file: "run", path: b, code: exitNotFound},
		{name: "empty PATH", file: "run", path: "", code: exitNotFound},
		{name: "empty name", file: "", path: list, code: exitNotFound},
		{name: "absolute path", file: runA, path: "", want: runA},
		{name: "absolute non-executable", file: filepath.Join(a, "plain"), path: list, code: exitCannotRun},
		{name: "absolute missing", file: filepath.Join(a, "missing"), path: list, code: exitNotFound},
		{name: "absolute directory", file: filepath.Join(a, "isdir"), path: list, code: exitCannotRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.file, tt.path)
			if tt.code != 0 {
				if exitcode.Of(err) != tt.code {
					t.Fatalf("lookPath(%q) = %q, %v (code %d), want code %d", tt.file, got, err, exitcode.Of(err), tt.code)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("lookPath(%q) = %q, %v, want %q", tt.file, got, err, tt.want)
			}
		})
	}
}

func TestChildStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"success", "exit 0", 0},
		{"failure", "exit 9", 9},
		{"killed", "kill -KILL $$", 137},
		{"interrupted", "kill -INT $$", 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := childStatus("sh", exec.Command("sh", "-c", tt.script).Run())
			got := 0
			var ce *childExit
			if errors.As(err, &ce) {
				got = ce.code
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

// FuzzExecEnv checks execEnv's promises for any inherited environment: each
// variable exec sets appears exactly once with its value, no profile
// variable survives, and every other entry is kept in order.
func FuzzExecEnv(f *testing.F) {
	f.Add("AWS_PROFILE=x\x00HOME=/h\x00AWS_ACCESS_KEY_ID=old", "ops")
	f.Add("=C:=C:\\\x00SNOWSTS_EXEC=outer\x00AWS_SESSION_TOKEN", "arn:aws:iam::123456789012:role/a")
	f.Add("AWS_CA_BUNDLE=a=b\x00AWS_CA_BUNDLE=c", "")
	vars := []shellenv.Var{{Name: shellenv.AccessKeyID, Value: "ASIANEW"}, {Name: shellenv.SessionToken, Value: "tok=en"}}
	f.Fuzz(func(t *testing.T, joined, marker string) {
		base := strings.Split(joined, "\x00")
		got := execEnv(base, vars, marker)
		count := map[string]int{}
		var kept []string
		for _, kv := range got {
			name, val, _ := strings.Cut(kv, "=")
			count[name]++
			switch name {
			case "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN":
				t.Fatalf("%s survived: %q", name, got)
			case shellenv.AccessKeyID:
				if val != "ASIANEW" {
					t.Fatalf("%s=%q", name, val)
				}
			case shellenv.SessionToken:
				if val != "tok=en" {
					t.Fatalf("%s=%q", name, val)
				}
			case execEnvVar:
				if val != marker {
					t.Fatalf("marker %q, want %q", val, marker)
				}
			default:
				if slices.Contains(shellenv.Names(), name) {
					t.Fatalf("stale %s survived: %q", name, got)
				}
				kept = append(kept, kv)
			}
		}
		for _, n := range []string{shellenv.AccessKeyID, shellenv.SessionToken, execEnvVar} {
			if count[n] != 1 {
				t.Fatalf("%s appears %d times in %q", n, count[n], got)
			}
		}
		var want []string
		for _, kv := range base {
			name, _, _ := strings.Cut(kv, "=")
			if name != "" && name != "AWS_PROFILE" && name != "AWS_DEFAULT_PROFILE" && name != "AWS_SECURITY_TOKEN" &&
				name != execEnvVar && !slices.Contains(shellenv.Names(), name) {
				want = append(want, kv)
			}
		}
		if !slices.Equal(kept, want) {
			t.Fatalf("kept %q, want %q", kept, want)
		}
	})
}
