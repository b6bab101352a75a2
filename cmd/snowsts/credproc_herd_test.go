package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
	"github.com/snowsts/snowsts/pkg/profile"
)

// herdSetup is a simulated device whose STS/IAM replies wait for a gate, a
// device profile for it in a temp HOME, and the snowsts binary installed in
// dir (the test binary, which runs snowsts's main when named snowsts, as
// testscript installs it).
type herdSetup struct {
	dev   *devicesim.Device
	role  string
	exe   string
	env   []string
	paths awsfile.Paths
	gate  chan struct{}
	once  sync.Once
}

func (h *herdSetup) open() { h.once.Do(func() { close(h.gate) }) }

func newHerdSetup(t *testing.T, dir string) *herdSetup {
	t.Helper()
	h := &herdSetup{gate: make(chan struct{})}
	// The device holds every request until the herd is let go.
	sim := simtest.Start(t, simtest.Options{Wrap: func(dev http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, devicesim.ControlPrefix) {
				select {
				case <-h.gate:
				case <-time.After(20 * time.Second):
				}
			}
			dev.ServeHTTP(w, r)
		})
	}})
	h.dev = sim.Device
	srv := sim.Server
	t.Cleanup(h.open)
	h.role = sim.Banner.Roles[0]

	h.exe = installSnowsts(t, dir)
	home := t.TempDir()
	h.paths = awsfile.Paths{Config: filepath.Join(home, ".aws", "config"), Credentials: filepath.Join(home, ".aws", "credentials")}
	if _, err := profile.WriteDevice(context.Background(), h.paths, profile.Device{
		Name: "snow", Endpoints: map[string]string{"sts": srv.URL, "iam": srv.URL},
		AccessKeyID: sim.Banner.AccessKeyID, SecretAccessKey: sim.Banner.SecretAccessKey,
	}, false); err != nil {
		t.Fatal(err)
	}
	h.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "USER=tester",
		"AWS_CONFIG_FILE=" + h.paths.Config, "AWS_SHARED_CREDENTIALS_FILE=" + h.paths.Credentials,
		"SNOWSTS_CACHE_DIR=" + filepath.Join(home, "cache"),
	}
	return h
}

// installSnowsts puts the test binary at dir/snowsts; run under that name it
// is snowsts (see TestMain).
func installSnowsts(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "snowsts")
	if err := os.Link(self, exe); err != nil {
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(exe, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return exe
}

// TestCredentialProcessHerd starts 32 cold `snowsts credential-process`
// processes for the same session at once, while the device holds every reply
// until all of them are running: exactly one AssumeRole reaches the device and
// all 32 print the same credentials.
func TestCredentialProcessHerd(t *testing.T) {
	const n = 32
	h := newHerdSetup(t, t.TempDir())
	type result struct {
		stdout, stderr bytes.Buffer
		err            error
	}
	results := make([]*result, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		r := &result{}
		results[i] = r
		c := exec.Command(h.exe, "credential-process", "--role-arn", h.role, "--timeout", "60s")
		c.Env = h.env
		c.Stdout, c.Stderr = &r.stdout, &r.stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	// Every process is running; give them time to reach the device or the
	// session's lock, then let the device answer.
	time.Sleep(1500 * time.Millisecond)
	h.open()
	for i, c := range cmds {
		results[i].err = c.Wait()
	}

	if got := h.dev.Calls("AssumeRole"); got != 1 {
		t.Errorf("the device served %d AssumeRole calls for %d concurrent processes, want 1", got, n)
	}
	first := results[0].stdout.String()
	for i, r := range results {
		if r.err != nil {
			t.Errorf("process %d: %v; stderr: %s", i, r.err, r.stderr.String())
			continue
		}
		if r.stderr.Len() != 0 {
			t.Errorf("process %d wrote on stderr: %s", i, r.stderr.String())
		}
		if got := r.stdout.String(); got != first {
			t.Errorf("process %d printed other credentials than process 0", i)
		}
	}
	var out struct {
		Version                                   int
		AccessKeyID                               string `json:"AccessKeyId"`
		SecretAccessKey, SessionToken, Expiration string
	}
	dec := json.NewDecoder(strings.NewReader(first))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil || out.Version != 1 || !strings.HasPrefix(out.AccessKeyID, "ASIA") || !strings.HasSuffix(out.Expiration, "Z") {
		t.Errorf("output %.40q… does not decode as credential_process JSON: %v", first, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("more than one JSON value on stdout")
	}
}

// TestConfigureRoleGoSDK checks the other consumer of credential_process: the
// Go SDK runs the written command with `sh -c`, here from a directory whose
// name has spaces, and calls the device's IAM with the credentials.
func TestConfigureRoleGoSDK(t *testing.T) {
	h := newHerdSetup(t, filepath.Join(t.TempDir(), "Program Files", "snow sts"))
	h.open()
	c := exec.Command(h.exe, "configure", "role", "ops", "--role-arn", h.role)
	c.Env = h.env
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("configure role: %v\n%s", err, out)
	}
	// The SDK runs credential_process with this process's environment.
	for _, kv := range h.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile("ops"),
		config.WithSharedConfigFiles([]string{h.paths.Config}), config.WithSharedCredentialsFiles([]string{h.paths.Credentials}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("the Go SDK could not run credential_process: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !creds.CanExpire || creds.Source != "ProcessProvider" {
		t.Errorf("credentials = key %s, expires %v, source %s", creds.AccessKeyID, creds.CanExpire, creds.Source)
	}
	out, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatalf("ListRoles through the profile: %v", err)
	}
	if len(out.Roles) == 0 || aws.ToString(out.Roles[0].Arn) == "" {
		t.Errorf("ListRoles = %+v", out.Roles)
	}
	if got := h.dev.Calls("AssumeRole"); got != 1 {
		t.Errorf("AssumeRole calls = %d, want 1", got)
	}
}
