package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"

	"github.com/snowsts/snowsts/internal/blackhole"
)

const adminARN = "arn:aws:iam::123456789012:role/admin"

// env is one test's device, files and options.
type env struct {
	t      *testing.T
	dev    *devicesim.Device
	url    string // the simulated device
	key    string
	secret string
	dir    string
	opts   Options
}

func newEnv(t *testing.T, useTLS bool) *env {
	t.Helper()
	st, err := devicesim.DefaultState()
	must(t, err)
	dev, err := devicesim.New(st)
	must(t, err)
	srv := httptest.NewUnstartedServer(dev)
	e := &env{t: t, dev: dev, dir: t.TempDir(), key: st.Users[0].AccessKeyID, secret: st.Users[0].SecretAccessKey}
	bundle := ""
	if useTLS {
		cert, pemBytes, err := devicesim.NewSelfSignedCert("127.0.0.1")
		must(t, err)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Config.ErrorLog = nil
		srv.StartTLS()
		bundle = filepath.Join(e.dir, "device.pem")
		must(t, os.WriteFile(bundle, pemBytes, 0o600))
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.opts = Options{
		Files:    device.Files{Config: filepath.Join(e.dir, "config"), Credentials: filepath.Join(e.dir, "credentials")},
		Profile:  "snow",
		CacheDir: filepath.Join(e.dir, "cache"),
	}
	e.write(map[string]string{"sts": e.url, "iam": e.url, "s3": e.url, "ec2": e.url}, bundle, "snow")
	return e
}

// write writes the device profile the way `snowsts configure` does.
func (e *env) write(endpoints map[string]string, bundle, region string) {
	var b strings.Builder
	fmt.Fprintf(&b, "[profile snow]\nservices = snow\n")
	if region != "" {
		fmt.Fprintf(&b, "region = %s\n", region)
	}
	if bundle != "" {
		fmt.Fprintf(&b, "ca_bundle = %s\n", bundle)
	}
	b.WriteString("\n[services snow]\n")
	for _, svc := range device.Services {
		if u := endpoints[svc]; u != "" {
			fmt.Fprintf(&b, "%s =\n  endpoint_url = %s\n", svc, u)
		}
	}
	must(e.t, os.WriteFile(e.opts.Files.Config, []byte(b.String()), 0o600))
	must(e.t, os.WriteFile(e.opts.Files.Credentials,
		[]byte(fmt.Sprintf("[snow]\naws_access_key_id = %s\naws_secret_access_key = %s\n", e.key, e.secret)), 0o600))
}

func (e *env) all(u string) map[string]string {
	return map[string]string{"sts": u, "iam": u, "s3": u, "ec2": u}
}

func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// holdingURL accepts connections and never says a word.
func holdingURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan struct{})
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				close(done)
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		setup  func(e *env)
		want   map[string]Status // check -> status of its first result
		detail map[string]string // check -> text its detail holds
		code   int
		within time.Duration
	}{
		{name: "healthy", want: map[string]Status{"profile": OK, "permissions": OK, "port sts": OK, "http sts": OK, "clock": OK, "keys": OK, "assume-role": OK}},
		{name: "healthy over TLS", tls: true, want: map[string]Status{"ca_bundle": OK, "tls sts": OK, "tls iam": OK, "clock": OK, "keys": OK, "assume-role": OK},
			detail: map[string]string{"tls sts": "TLS verified against ca_bundle"}},
		{name: "no profile", setup: func(e *env) { e.opts.Profile = "ghost" }, code: exitcode.Config,
			want: map[string]Status{"profile": Fail}, detail: map[string]string{"profile": `profile "ghost" is not in`}},
		{name: "wrong region", setup: func(e *env) { e.write(e.all(e.url), "", "us-east-1") }, code: exitcode.Config,
			want: map[string]Status{"profile": Fail}, detail: map[string]string{"profile": `region "us-east-1"`}},
		{name: "no region", setup: func(e *env) { e.write(e.all(e.url), "", "") }, code: exitcode.Config,
			want: map[string]Status{"profile": Fail}, detail: map[string]string{"profile": "no region"}},
		{name: "no keys", setup: func(e *env) { e.key = ""; e.write(e.all(e.url), "", "snow") }, code: exitcode.Config,
			want: map[string]Status{"profile": Fail}, detail: map[string]string{"profile": "no aws_access_key_id"}},
		{name: "no s3 endpoint only warns", setup: func(e *env) { e.write(map[string]string{"sts": e.url, "iam": e.url}, "", "snow") },
			want: map[string]Status{"profile": Warn, "keys": OK}},
		{name: "credentials readable by others", setup: func(e *env) { must(e.t, os.Chmod(e.opts.Files.Credentials, 0o644)) },
			code: exitcode.Config, want: map[string]Status{"permissions": Fail}, detail: map[string]string{"permissions": "mode 0644"}},
		{name: "cache entry readable by others", setup: func(e *env) {
			must(e.t, os.MkdirAll(e.opts.CacheDir, 0o700))
			must(e.t, os.WriteFile(filepath.Join(e.opts.CacheDir, "s.json"), []byte("{}"), 0o644))
		}, code: exitcode.Config, want: map[string]Status{"keys": OK}, detail: map[string]string{}},
		{name: "wrong secret", setup: func(e *env) { e.secret = "wrong-wrong-wrong"; e.write(e.all(e.url), "", "snow") },
			code: exitcode.Refused, want: map[string]Status{"keys": Fail, "assume-role": Fail}, detail: map[string]string{"keys": "SignatureDoesNotMatch"}},
		{name: "sts refused", setup: func(e *env) {
			u := e.all(e.url)
			u["sts"] = closedURL(e.t)
			e.write(u, "", "snow")
		}, code: exitcode.Unreachable, want: map[string]Status{"port sts": Fail, "http sts": Skip, "clock": Skip, "keys": OK, "assume-role": Skip},
			detail: map[string]string{"port sts": "refused the connection"}},
		{name: "s3 refused only warns", setup: func(e *env) {
			u := e.all(e.url)
			u["s3"] = closedURL(e.t)
			e.write(u, "", "snow")
		}, want: map[string]Status{"port s3": Warn, "assume-role": OK}},
		{name: "http to the HTTPS port", tls: true, setup: func(e *env) {
			u := e.all(e.url)
			u["sts"] = strings.Replace(e.url, "https://", "http://", 1)
			e.write(u, filepath.Join(e.dir, "device.pem"), "snow")
		}, code: exitcode.Unreachable, want: map[string]Status{"http sts": Fail, "clock": Skip, "assume-role": Skip, "keys": OK},
			detail: map[string]string{"http sts": "configured as http:// but the port speaks HTTPS"}},
		{name: "https to the HTTP port", setup: func(e *env) {
			u := e.all(e.url)
			u["sts"] = strings.Replace(e.url, "http://", "https://", 1)
			e.write(u, "", "snow")
		}, code: exitcode.Unreachable, want: map[string]Status{"ca_bundle": Warn, "tls sts": Fail, "assume-role": Skip},
			detail: map[string]string{"tls sts": "configured as https:// but the port speaks plain HTTP"}},
		{name: "TLS without ca_bundle", tls: true, setup: func(e *env) { e.write(e.all(e.url), "", "snow") }, code: exitcode.Unreachable,
			want: map[string]Status{"tls sts": Fail}, detail: map[string]string{"tls sts": "unknown authority, and the profile has no ca_bundle"}},
		{name: "clock 20m ahead", setup: func(e *env) {
			must(e.t, e.dev.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(20 * time.Minute)}))
		},
			code: exitcode.Refused, want: map[string]Status{"clock": Fail, "keys": OK, "assume-role": OK}, detail: map[string]string{"clock": `(19m59s|20m0s|20m1s) ahead`}},
		{name: "clock 20m behind", setup: func(e *env) {
			must(e.t, e.dev.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(-20 * time.Minute)}))
		},
			code: exitcode.Refused, want: map[string]Status{"clock": Fail, "assume-role": OK}, detail: map[string]string{"clock": `(19m59s|20m0s|20m1s) behind`}},
		{name: "clock 2m off warns", setup: func(e *env) {
			must(e.t, e.dev.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(-2 * time.Minute)}))
		},
			want: map[string]Status{"clock": Warn}, detail: map[string]string{"clock": "2m0s behind"}},
		{name: "ports that accept and never answer", setup: func(e *env) { e.write(e.all(holdingURL(e.t)), "", "snow") },
			code: exitcode.Unreachable, within: 8 * time.Second,
			want: map[string]Status{"port sts": OK, "http sts": Warn, "clock": Warn, "keys": Fail, "assume-role": Fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.tls)
			e.opts.RoleARN, e.opts.SessionName, e.opts.DurationSeconds = adminARN, "snowsts-test", 900
			if tt.setup != nil {
				tt.setup(e)
			}
			start := time.Now()
			results := Run(context.Background(), e.opts)
			took := time.Since(start)
			report := render(results)
			t.Logf("%s(%s)", report, took.Round(time.Millisecond))
			if got := ExitCode(results); got != tt.code {
				t.Errorf("exit code %d, want %d", got, tt.code)
			}
			for check, want := range tt.want {
				r, ok := firstOf(results, check)
				if !ok {
					t.Errorf("no %q check", check)
					continue
				}
				if r.Status != want {
					t.Errorf("%s: %s, want %s", check, r.Status.Mark(), want.Mark())
				}
				if (r.Status == Fail || r.Status == Warn) && r.Fix == "" && check != "assume-role" {
					t.Errorf("%s: %s without a fix", check, r.Status.Mark())
				}
			}
			// The Date header has whole seconds: a measured skew may be a
			// second off what the device was set to.
			for check, pattern := range tt.detail {
				if r, _ := firstOf(results, check); !regexp.MustCompile(pattern).MatchString(r.Detail) {
					t.Errorf("%s: detail %q does not match %q", check, r.Detail, pattern)
				}
			}
			if strings.Contains(report, e.secret) && e.secret != "" {
				t.Errorf("the report reveals the secret")
			}
			if tt.within > 0 && took > tt.within {
				t.Errorf("took %v, want under %v", took, tt.within)
			}
		})
	}
}

func firstOf(results []Result, check string) (Result, bool) {
	for _, r := range results {
		if r.Check == check {
			return r, true
		}
	}
	return Result{}, false
}

func render(results []Result) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%s  %-12s %s\n", r.Status.Mark(), r.Check, r.Detail)
		if r.Fix != "" {
			fmt.Fprintf(&b, "      %-12s fix: %s\n", "", r.Fix)
		}
	}
	return b.String()
}

// TestRunBlackholed: every port drops SYNs; the run ends in about the port
// timeout, all ports having been dialled at once.
func TestRunBlackholed(t *testing.T) {
	port, closeFn, err := blackhole.Listen()
	if err != nil {
		t.Skipf("no black-holed loopback port on this system: %v", err)
	}
	defer closeFn()
	e := newEnv(t, false)
	e.write(e.all("http://127.0.0.1:"+port), "", "snow")
	e.opts.RoleARN, e.opts.SessionName, e.opts.DurationSeconds = adminARN, "snowsts-test", 900
	start := time.Now()
	results := Run(context.Background(), e.opts)
	took := time.Since(start)
	t.Logf("%s(%s)", render(results), took.Round(time.Millisecond))
	if took > 4*time.Second {
		t.Errorf("took %v: the ports were not dialled at once, or a probe was not bounded", took)
	}
	if ExitCode(results) != exitcode.Unreachable {
		t.Errorf("exit code %d, want %d", ExitCode(results), exitcode.Unreachable)
	}
	if r, _ := firstOf(results, "port sts"); r.Status != Fail || !strings.Contains(r.Detail, "did not answer within 2s") || !strings.Contains(r.Fix, "firewall") {
		t.Errorf("port sts: %+v", r)
	}
}

func TestExitCodeIsTheFirstFailure(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []Result
		want int
	}{
		{"none", nil, 0},
		{"warnings pass", []Result{{Status: Warn, Code: 5}, {Status: Skip}}, 0},
		{"first failure wins", []Result{{Status: OK}, {Status: Fail, Code: 3}, {Status: Fail, Code: 5}}, 3},
		{"a failure without a class", []Result{{Status: Fail}}, exitcode.Failure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.in); got != tt.want {
				t.Fatalf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
