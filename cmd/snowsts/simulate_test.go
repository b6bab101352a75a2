package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// simBuffer is a bytes.Buffer safe for the simulator's concurrent logging.
type simBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *simBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *simBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func simTestStreams() (*streams, *simBuffer, *simBuffer) {
	out, errOut := &simBuffer{}, &simBuffer{}
	return &streams{In: strings.NewReader(""), Out: out, ErrOut: errOut, inFd: -1}, out, errOut
}

func TestSimulateFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(t *testing.T, o *simulateOptions)
	}{
		{name: "defaults", args: nil, want: func(t *testing.T, o *simulateOptions) {
			if o.listen != "127.0.0.1:7078" || o.statePath != "" || o.tls || o.certOut != "" || o.faults != (devicesim.Faults{}) {
				t.Errorf("options %+v", o)
			}
			for name, set := range o.faultSet {
				if set {
					t.Errorf("fault flag %s marked as given", name)
				}
			}
		}},
		{name: "all flags", args: []string{"--listen", "127.0.0.1:0", "--state", "s.json", "--tls", "--cert-out", "c.pem",
			"--latency", "250ms", "--throttle", "1", "--server-error", "2", "--malformed", "3", "--truncate", "4", "--drop", "5", "--clock-skew", "-20m"},
			want: func(t *testing.T, o *simulateOptions) {
				want := devicesim.Faults{Latency: devicesim.Duration(250 * time.Millisecond), Throttle: 1, ServerError: 2, Malformed: 3, Truncate: 4, Drop: 5, ClockSkew: devicesim.Duration(-20 * time.Minute)}
				if o.listen != "127.0.0.1:0" || o.statePath != "s.json" || !o.tls || o.certOut != "c.pem" || o.faults != want {
					t.Errorf("options %+v", o)
				}
				if len(o.faultSet) != 7 || !o.faultSet["clock-skew"] || !o.faultSet["server-error"] {
					t.Errorf("faultSet %v", o.faultSet)
				}
			}},
		{name: "explicit zero is given", args: []string{"--throttle", "0"}, want: func(t *testing.T, o *simulateOptions) {
			if !o.faultSet["throttle"] || o.faultSet["drop"] {
				t.Errorf("faultSet %v", o.faultSet)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			io, _, _ := simTestStreams()
			var got *simulateOptions
			cmd := newSimulateCmd(&factory{io: io}, func(_ context.Context, o *simulateOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			tc.want(t, got)
		})
	}
}

// startSimulate runs runSimulate until the test ends and returns its banner.
func startSimulate(t *testing.T, o *simulateOptions) (devicesim.Banner, *simBuffer, func() error) {
	t.Helper()
	io, out, errOut := simTestStreams()
	o.io = io
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runSimulate(ctx, o) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("simulate did not stop after cancel")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "\n") {
		select {
		case err := <-done:
			t.Fatalf("simulate ended before its banner: %v\n%s", err, errOut)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no banner")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var b devicesim.Banner
	if err := json.Unmarshal([]byte(out.String()), &b); err != nil {
		t.Fatalf("banner %q: %v", out, err)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("stdout %q, want one line", out)
	}
	return b, errOut, stop
}

func simSTS(b devicesim.Banner, secret string, client *http.Client) *sts.Client {
	cfg := aws.Config{Region: "snow", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(b.AccessKeyID, secret, "")}
	if client != nil {
		cfg.HTTPClient = client
	}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(b.Endpoint) })
}

func TestRunSimulate(t *testing.T) {
	b, errOut, stop := startSimulate(t, &simulateOptions{listen: "127.0.0.1:0"})
	if !strings.HasPrefix(b.Endpoint, "http://127.0.0.1:") || len(b.Roles) != 3 || !strings.HasPrefix(b.AccessKeyID, "AKIA") {
		t.Errorf("banner %+v", b)
	}
	ctx := context.Background()
	out, err := simSTS(b, b.SecretAccessKey, nil).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(b.Roles[0]), RoleSessionName: aws.String("sim")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if _, err := simSTS(b, "wrong-secret-wrong-secret-wrong-secret-xx", nil).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(b.Roles[0]), RoleSessionName: aws.String("sim")}); err == nil {
		t.Error("wrong secret accepted")
	}
	if err := stop(); err != nil {
		t.Fatalf("simulate returned %v after cancel, want nil (exit 0)", err)
	}
	log := errOut.String()
	t.Logf("stderr:\n%s", log)
	for _, want := range []string{"method=POST service=sts action=AssumeRole status=200", "status=403 code=SignatureDoesNotMatch", "latency=", "simulated device stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{b.SecretAccessKey, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken} {
		if strings.Contains(log, secret) {
			t.Errorf("stderr reveals a secret:\n%s", log)
		}
	}
	if n := len(strings.Split(strings.TrimSpace(log), "\n")); n != 4 {
		t.Errorf("stderr has %d lines, want start, 2 requests, stop:\n%s", n, log)
	}
}

// TestRunSimulateCredsOut: --creds-out writes the first user's keys as
// `snowballEdge get-secret-access-key` prints them, for configure
// --import-credentials, readable by the owner only.
func TestRunSimulateCredsOut(t *testing.T) {
	credsOut := filepath.Join(t.TempDir(), "creds.ini")
	b, _, stop := startSimulate(t, &simulateOptions{listen: "127.0.0.1:0", credsOut: credsOut})
	defer stop()
	got, err := os.ReadFile(credsOut)
	if err != nil {
		t.Fatal(err)
	}
	want := "[snowballEdge]\naws_access_key_id = " + b.AccessKeyID + "\naws_secret_access_key = " + b.SecretAccessKey + "\n"
	if string(got) != want {
		t.Fatalf("--creds-out wrote\n%s\nwant\n%s", got, want)
	}
	if fi, err := os.Stat(credsOut); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("--creds-out mode: %v, %v", fi.Mode(), err)
	}
	var out bytes.Buffer
	id, secret, err := importCredentials(&streams{Out: &out}, credsOut)
	if err != nil || id != b.AccessKeyID || secret != b.SecretAccessKey {
		t.Fatalf("configure --import-credentials reads %q, %v", id, err)
	}
}

func TestRunSimulateTLS(t *testing.T) {
	certOut := filepath.Join(t.TempDir(), "device.pem")
	b, _, stop := startSimulate(t, &simulateOptions{listen: "127.0.0.1:0", tls: true, certOut: certOut})
	if !strings.HasPrefix(b.Endpoint, "https://127.0.0.1:") {
		t.Errorf("endpoint %q", b.Endpoint)
	}
	pemBytes, err := os.ReadFile(certOut)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("--cert-out is not PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := simSTS(b, b.SecretAccessKey, client).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(b.Roles[1]), RoleSessionName: aws.String("tls")}); err != nil {
		t.Fatalf("AssumeRole over TLS with --cert-out as CA: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRunSimulateFaults(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	doc := `{"account_id":"123456789012",
 "users":[{"name":"op","access_key_id":"AKIAOPERATOR00000001","secret_access_key":"opSecretopSecretopSecret","can_assume":["*"]}],
 "roles":[{"name":"admin"}],
 "faults":{"throttle":5,"latency":"1ms"}}`
	if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _, stop := startSimulate(t, &simulateOptions{listen: "127.0.0.1:0", statePath: state,
		faults:   devicesim.Faults{Drop: 2},
		faultSet: map[string]bool{"throttle": true, "drop": true}})
	defer stop()
	if b.AccessKeyID != "AKIAOPERATOR00000001" || strings.Join(b.Roles, ",") != "arn:aws:iam::123456789012:role/admin" {
		t.Errorf("banner %+v", b)
	}
	resp, err := http.Get(b.Endpoint + "/_snowsts/faults")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// --throttle 0 overrides the file's 5, --drop 2 is added, the file's latency stays.
	if got := strings.TrimSpace(string(body)); got != `{"latency":"1ms","drop":2}` {
		t.Errorf("faults = %s", got)
	}
}

func TestRunSimulateErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	badState := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badState, []byte(`{"account_id":"1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    simulateOptions
		code int
		msg  string
	}{
		{name: "cert-out without tls", o: simulateOptions{listen: "127.0.0.1:0", certOut: "x.pem"}, code: exitcode.Usage, msg: "--cert-out needs --tls"},
		{name: "listen without port", o: simulateOptions{listen: "127.0.0.1"}, code: exitcode.Usage, msg: "--listen"},
		{name: "missing state file", o: simulateOptions{listen: "127.0.0.1:0", statePath: filepath.Join(t.TempDir(), "none.json")}, code: exitcode.Config, msg: "read device state"},
		{name: "invalid state file", o: simulateOptions{listen: "127.0.0.1:0", statePath: badState}, code: exitcode.Config, msg: "account_id"},
		{name: "negative fault count", o: simulateOptions{listen: "127.0.0.1:0", faults: devicesim.Faults{Drop: -1}, faultSet: map[string]bool{"drop": true}}, code: exitcode.Usage, msg: "negative"},
		{name: "port in use", o: simulateOptions{listen: busy.Addr().String()}, code: exitcode.Failure, msg: "listen on"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			io, out, _ := simTestStreams()
			tc.o.io = io
			err := runSimulate(context.Background(), &tc.o)
			if got := exitcode.Of(err); got != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %v (exit %d), want exit %d with %q", err, got, tc.code, tc.msg)
			}
			if out.String() != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}
