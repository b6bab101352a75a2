package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"snowsts": main})
}

// TestScript runs the end-to-end scripts in testdata/script: each one is a
// behaviour of the real snowsts binary against an in-process simulated device,
// with HOME, the AWS files and the cache inside $WORK.
func TestScript(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:       dir,
		Condition: scriptCondition,
		Setup: func(env *testscript.Env) error {
			work := env.WorkDir
			env.Setenv("HOME", work)
			env.Setenv("USER", "tester")
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(work, ".aws", "config"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(work, ".aws", "credentials"))
			env.Setenv("SNOWSTS_CACHE_DIR", filepath.Join(work, "cache"))
			env.Setenv("SHELL", "/bin/sh")
			// Nothing from the developer's environment may leak into a test.
			for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
				"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "SNOWSTS_PROFILE", "SNOWSTS_EXEC"} {
				env.Setenv(k, "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"simdevice":    cmdSimDevice,
			"simcalls":     cmdSimCalls,
			"simfault":     cmdSimFault,
			"exitcode":     cmdExitCode,
			"closedport":   cmdClosedPort,
			"jsonfield":    cmdJSONField,
			"blackhole":    cmdBlackhole,
			"needstrace":   cmdNeedStrace,
			"connectsonly": cmdConnectsOnly,
		},
	}
}

// cmdSimDevice starts a simulated device in the test process:
//
//	simdevice [-tls [-san NAME]] [-state FILE]
//
// It exports SIM_ENDPOINT, SIM_HOST, SIM_PORT, SIM_KEY, SIM_SECRET, SIM_ROLE
// (the first role's ARN), SIM_ROLES (space-separated) and writes
// $WORK/sim-creds.ini in the form `snowballEdge get-secret-access-key` prints;
// with -tls also $WORK/sim-cert.pem.
func cmdSimDevice(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! simdevice")
	}
	useTLS, statePath, san := false, "", "127.0.0.1"
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-tls":
			useTLS = true
		case "-san": // the certificate's name, as a device unlocked elsewhere has
			i++
			san = args[i]
		case "-state":
			i++
			statePath = ts.MkAbs(args[i])
		default:
			ts.Fatalf("usage: simdevice [-tls [-san NAME]] [-state FILE]")
		}
	}
	var st *devicesim.State
	var err error
	if statePath != "" {
		st, err = devicesim.LoadState(statePath)
	} else {
		st, err = devicesim.DefaultState()
	}
	ts.Check(err)
	dev, err := devicesim.New(st)
	ts.Check(err)
	srv := httptest.NewUnstartedServer(dev)
	if useTLS {
		cert, pemBytes, err := devicesim.NewSelfSignedCert(san)
		ts.Check(err)
		srv.TLS = newTLSConfig(cert)
		srv.StartTLS()
		ts.Check(os.WriteFile(ts.MkAbs("sim-cert.pem"), pemBytes, 0o600))
	} else {
		srv.Start()
	}
	ts.Defer(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	b := dev.Banner(srv.URL)
	ts.Setenv("SIM_ENDPOINT", srv.URL)
	ts.Setenv("SIM_HOST", host)
	ts.Setenv("SIM_PORT", port)
	ts.Setenv("SIM_KEY", b.AccessKeyID)
	ts.Setenv("SIM_SECRET", b.SecretAccessKey)
	ts.Setenv("SIM_ROLE", b.Roles[0])
	ts.Setenv("SIM_ROLES", strings.Join(b.Roles, " "))
	ts.Check(os.WriteFile(ts.MkAbs("sim-creds.ini"),
		[]byte(fmt.Sprintf("[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", b.AccessKeyID, b.SecretAccessKey)), 0o600))
	devices.set(ts.Getenv("WORK"), dev)
}

// devices maps a script's $WORK to its simulated device. Scripts run in
// parallel, each with its own $WORK.
var devices = newDeviceMap()

// cmdSimCalls checks how many requests for an action reached the device:
//
//	simcalls AssumeRole 1
func cmdSimCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: simcalls ACTION N")
	}
	dev := devices.get(ts.Getenv("WORK"))
	if dev == nil {
		ts.Fatalf("no simdevice started")
	}
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	got := dev.Calls(args[0])
	if (got == want) == neg {
		ts.Fatalf("device served %d %s calls, want %s%d", got, args[0], map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdSimFault switches faults on: simfault '{"throttle":5}'.
func cmdSimFault(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: simfault JSON")
	}
	dev := devices.get(ts.Getenv("WORK"))
	if dev == nil {
		ts.Fatalf("no simdevice started")
	}
	var f devicesim.Faults
	dec := json.NewDecoder(strings.NewReader(args[0]))
	dec.DisallowUnknownFields()
	ts.Check(dec.Decode(&f))
	ts.Check(dev.SetFaults(f))
}

// cmdExitCode runs a program and checks its exact exit code; stdout and stderr
// are kept for the next stdout/stderr commands:
//
//	exitcode 2 snowsts assume --role-arn bad
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdClosedPort exports CLOSED_PORT, a loopback port nothing listens on.
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	ts.Setenv("CLOSED_PORT", port)
}

// cmdJSONField checks a top-level string field of a JSON file:
//
//	jsonfield FILE FIELD REGEXP-LITERAL-PREFIX
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonfield FILE FIELD PREFIX")
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(ts.ReadFile(args[0]))))
	ts.Check(dec.Decode(&m))
	v, _ := m[args[1]].(string)
	if strings.HasPrefix(v, args[2]) == neg {
		ts.Fatalf("%s: field %s = %q, want prefix %q", args[0], args[1], v, args[2])
	}
}

var _ http.Handler = (*devicesim.Device)(nil)
