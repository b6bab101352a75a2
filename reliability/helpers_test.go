//go:build linux

// Package reliability tests what snowsts promises when things go wrong: many
// processes writing one credentials file while it is read, processes killed
// with SIGKILL in the middle of a write, a device that refuses, stalls,
// garbles or lies (a fault matrix over assume, env and credential-process), a
// hostile device whose credentials carry shell metacharacters, and secrets
// that must never reach a debug log or an error.
//
// Every test runs the real snowsts binary, built once in TestMain, as separate
// processes in a throwaway HOME, against the simulated device served in the
// test process (devicesim.New behind httptest) so that the tests can switch
// its faults on. Heavier variants run with SNOWSTS_HEAVY=1.
package reliability

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/internal/testbin"
	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
)

// snowstsBin is the snowsts binary TestMain builds once for the whole package.
var snowstsBin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, "reliability", &snowstsBin))
}

// heavy reports whether the heavier variants were asked for (SNOWSTS_HEAVY=1).
func heavy() bool { return os.Getenv("SNOWSTS_HEAVY") == "1" }

// pick returns light, or heavyValue with SNOWSTS_HEAVY=1.
func pick(light, heavyValue int) int {
	if heavy() {
		return heavyValue
	}
	return light
}

// result is what one finished process left behind.
type result = testbin.Result

// sandbox is one user's machine: a HOME with the AWS files and the snowsts cache
// in it, and an environment that carries nothing of the developer's AWS setup.
type sandbox struct {
	dir    string
	awsDir string
	config string // AWS_CONFIG_FILE
	creds  string // AWS_SHARED_CREDENTIALS_FILE
	cache  string // SNOWSTS_CACHE_DIR
	env    []string
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	dir := t.TempDir()
	s := &sandbox{
		dir:    dir,
		awsDir: filepath.Join(dir, ".aws"),
		config: filepath.Join(dir, ".aws", "config"),
		creds:  filepath.Join(dir, ".aws", "credentials"),
		cache:  filepath.Join(dir, "cache"),
	}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"USER=reliability",
		"AWS_CONFIG_FILE=" + s.config,
		"AWS_SHARED_CREDENTIALS_FILE=" + s.creds,
		"SNOWSTS_CACHE_DIR=" + s.cache,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for _, k := range []string{"LANG", "LC_ALL", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			s.env = append(s.env, k+"="+v)
		}
	}
	return s
}

// command makes an *exec.Cmd for name in the sandbox; it is killed when ctx ends.
func (s *sandbox) command(ctx context.Context, stdin string, name string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 2 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	return cmd, &o, &e
}

// run runs name with args in the sandbox, bounded by timeout.
func (s *sandbox) run(t testing.TB, timeout time.Duration, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd, _, _ := s.command(ctx, stdin, name, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	return testbin.Run(ctx, t, cmd)
}

// snowsts runs the snowsts binary and fails the test unless it exits with want.
func (s *sandbox) snowsts(t testing.TB, want int, args ...string) result {
	t.Helper()
	r := s.run(t, 60*time.Second, "", snowstsBin, args...)
	if r.Code != want {
		t.Fatalf("snowsts %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// writeFile writes content to name inside the sandbox and returns its path.
func (s *sandbox) writeFile(t testing.TB, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sim is a simulated device served in the test process.
type sim struct {
	dev    *devicesim.Device
	url    string
	key    string // the operator's access key id
	secret string // the operator's secret access key
	role   string // the first role's ARN (admin, 1 hour)
	roles  []string
	pem    []byte // the certificate, with TLS
}

// startSim serves a fresh default device on loopback, over HTTPS with useTLS.
func startSim(t testing.TB, useTLS bool) *sim {
	t.Helper()
	d := simtest.Start(t, simtest.Options{TLS: useTLS})
	b := d.Banner
	return &sim{dev: d.Device, url: d.URL, key: b.AccessKeyID, secret: b.SecretAccessKey, role: b.Roles[0], roles: b.Roles, pem: d.CertPEM}
}

// setFaults switches the device's faults, failing the test on a bad value.
func (d *sim) setFaults(t testing.TB, f devicesim.Faults) {
	t.Helper()
	if err := d.dev.SetFaults(f); err != nil {
		t.Fatal(err)
	}
}

// configure writes the device profile `snow` for d's endpoint, importing the keys
// as an operator would from snowballEdge's output (with d's certificate for TLS).
func (s *sandbox) configure(t testing.TB, d *sim, extra ...string) {
	t.Helper()
	ini := s.writeFile(t, "sim-creds.ini", fmt.Appendf(nil, "[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", d.key, d.secret))
	args := []string{"configure", "--device", "127.0.0.1", "--sts-endpoint", d.url, "--iam-endpoint", d.url, "--import-credentials", ini}
	if d.pem != nil {
		args = append(args, "--ca-bundle", s.writeFile(t, "sim-cert.pem", d.pem))
	}
	s.snowsts(t, 0, append(args, extra...)...)
}

// snapshot hashes every regular file under the sandbox's .aws and cache
// directories (path relative to the sandbox -> sha256), and records symlinks
// and directories by name, so that "nothing changed" can be checked exactly.
func (s *sandbox) snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range []string{s.awsDir, s.cache} {
		err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.dir, p)
			info, err := de.Info()
			if err != nil {
				return err
			}
			switch {
			case de.IsDir():
				out[rel+"/"] = info.Mode().String()
			case de.Type().IsRegular():
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(b)
				out[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:])
			default:
				out[rel] = info.Mode().String()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("snapshot %s: %v", root, err)
		}
	}
	return out
}

// diffSnapshots describes how after differs from before ("" when identical).
func diffSnapshots(before, after map[string]string) string {
	var b strings.Builder
	for k, v := range before {
		if w, ok := after[k]; !ok {
			fmt.Fprintf(&b, "removed %s\n", k)
		} else if w != v {
			fmt.Fprintf(&b, "changed %s\n", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			fmt.Fprintf(&b, "added %s\n", k)
		}
	}
	return b.String()
}

// secretsIn returns the names of the secrets (longer than 4 characters) that
// occur in text.
func secretsIn(text string, secrets map[string]string) []string {
	var found []string
	for name, v := range secrets {
		if len(v) > 4 && strings.Contains(text, v) {
			found = append(found, name)
		}
	}
	return found
}

// readMaybe reads p; a missing file reads as empty.
func readMaybe(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// writeMode writes b to p with mode 0600.
func writeMode(p string, b []byte) error { return os.WriteFile(p, b, 0o600) }
