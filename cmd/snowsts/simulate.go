package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

type simulateOptions struct {
	io        *streams
	listen    string
	statePath string
	tls       bool
	certOut   string
	credsOut  string

	// faults from the flags; faultSet says which flags were given, so that
	// only those override the state file's "faults".
	faults   devicesim.Faults
	faultSet map[string]bool
}

// simulateFaultFlags are the fault flags, by name.
var simulateFaultFlags = []string{"latency", "throttle", "server-error", "malformed", "truncate", "drop", "clock-skew"}

func newSimulateCmd(f *factory, runF func(context.Context, *simulateOptions) error) *cobra.Command {
	o := &simulateOptions{io: f.io}
	var latency, skew time.Duration
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run a simulated Snowball Edge device (STS and IAM) on loopback",
		Long: `Run a simulated Snowball Edge device for trying snowsts, the AWS CLI and SDKs
without hardware. It serves the device's STS (AssumeRole) and IAM (ListRoles,
GetRole, ListUsers) on one listener, region "snow", verifies SigV4, checks which
roles each user may assume and issues temporary credentials that expire.

Once it listens it prints one JSON line on stdout:
  {"Endpoint":"http://127.0.0.1:PORT","AccessKeyId":…,"SecretAccessKey":…,"Roles":[…]}
(the first user's keys), then logs one line per request on stderr (method,
action, status, error code, latency; never a secret). It runs until
interrupted (Ctrl-C or SIGTERM), then shuts down and exits 0.

Without --state it makes a fresh device: account 123456789012, user "operator"
with new random keys who may assume every role, and the roles admin (1h max),
operator (12h max) and ops/auditor (1h max). A state file looks like:
  {"account_id": "123456789012",
   "users": [{"name": "operator", "access_key_id": "AKIA…", "secret_access_key": "…",
              "can_assume": ["*"]}],
   "roles": [{"name": "admin", "path": "/ops/", "max_session_duration": 3600}],
   "faults": {"latency": "200ms", "throttle": 2}}

Faults (state file "faults", overridden by these flags): --latency delays every
reply; --throttle, --server-error, --malformed, --truncate and --drop make the
next N requests fail with 400 Throttling, 500 InternalFailure, a 200 whose body
is not XML, a body cut short, or a closed connection (one fault a request, in
the order drop, throttle, server-error, malformed, truncate); --clock-skew runs
the device clock that far off (Date header, 15-minute signature window,
credential expiry).

For tests, an unauthenticated control path: GET /_snowsts/calls (requests per
action), POST /_snowsts/reset-calls, GET or POST /_snowsts/faults (JSON as in
the state file).`,
		Example: `  # a device on the STS port, its keys written as snowballEdge would print them
  snowsts simulate --creds-out creds.ini &
  snowsts configure --device 127.0.0.1 --sts-endpoint http://127.0.0.1:7078 \
      --iam-endpoint http://127.0.0.1:7078 --import-credentials creds.ini

  # a throwaway device on a free port
  snowsts simulate --listen 127.0.0.1:0 > banner.json &

  # HTTPS, with the certificate written as snowballEdge get-certificate would
  snowsts simulate --tls --cert-out device.pem

  # a slow device that throttles the first 3 requests and whose clock is 20 minutes fast
  snowsts simulate --latency 500ms --throttle 3 --clock-skew 20m

  # switch faults on while it runs
  curl -X POST -d '{"drop":1}' http://127.0.0.1:7078/_snowsts/faults`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.faults.Latency = devicesim.Duration(latency)
			o.faults.ClockSkew = devicesim.Duration(skew)
			o.faultSet = map[string]bool{}
			for _, name := range simulateFaultFlags {
				o.faultSet[name] = cmd.Flags().Changed(name)
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runSimulate(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.listen, "listen", "127.0.0.1:7078", "`ADDR` to listen on (127.0.0.1:0 picks a free port)")
	fl.StringVar(&o.statePath, "state", "", "device state `FILE` (JSON: account, users, roles, faults)")
	fl.BoolVar(&o.tls, "tls", false, "serve HTTPS with a fresh self-signed certificate for the listen host")
	fl.StringVar(&o.certOut, "cert-out", "", "with --tls, write the certificate (PEM) to `FILE`")
	fl.StringVar(&o.credsOut, "creds-out", "", "write the first user's keys to `FILE` (0600) as `snowballEdge get-secret-access-key` prints them")
	fl.DurationVar(&latency, "latency", 0, "delay every reply by `DURATION`")
	fl.IntVar(&o.faults.Throttle, "throttle", 0, "answer the next `N` requests with 400 Throttling")
	fl.IntVar(&o.faults.ServerError, "server-error", 0, "answer the next `N` requests with 500 InternalFailure")
	fl.IntVar(&o.faults.Malformed, "malformed", 0, "answer the next `N` requests with a body that is not XML")
	fl.IntVar(&o.faults.Truncate, "truncate", 0, "cut the body of the next `N` replies short")
	fl.IntVar(&o.faults.Drop, "drop", 0, "close the connection of the next `N` requests without a reply")
	fl.DurationVar(&skew, "clock-skew", 0, "run the device clock `DURATION` off (e.g. 20m or -1h)")
	return cmd
}

func runSimulate(ctx context.Context, o *simulateOptions) error {
	if o.certOut != "" && !o.tls {
		return exitcode.New(exitcode.Usage, errors.New("--cert-out needs --tls"), "")
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--listen %q: %w", o.listen, err), "give HOST:PORT, e.g. 127.0.0.1:7078")
	}
	st, err := simulateState(o)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(o.io.ErrOut, nil))
	dev, err := devicesim.New(st, devicesim.WithRequestLog(func(r devicesim.RequestLog) {
		logger.Info("request", "method", r.Method, "service", r.Service, "action", r.Action,
			"status", r.Status, "code", r.Code, "latency", r.Latency.Round(time.Microsecond))
	}))
	if err != nil {
		return exitcode.New(exitcode.Config, err, "check the --state file")
	}

	var cert *tls.Certificate
	if o.tls {
		if cert, err = newSimulateCert(host, o.certOut); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return exitcode.New(exitcode.Failure, fmt.Errorf("listen on %s: %w", o.listen, err), "is another device or simulator using the port? --listen 127.0.0.1:0 picks a free one")
	}
	defer ln.Close()

	endpoint := simulateEndpoint(ln.Addr().(*net.TCPAddr), o.tls)
	banner := dev.Banner(endpoint)
	if o.credsOut != "" {
		ini := fmt.Sprintf("[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", banner.AccessKeyID, banner.SecretAccessKey)
		if err := writePrivate(o.credsOut, []byte(ini)); err != nil {
			return exitcode.New(exitcode.Failure, fmt.Errorf("--creds-out: %w", err), "")
		}
	}
	line, err := json.Marshal(banner)
	if err != nil {
		return fmt.Errorf("write banner: %w", err)
	}
	if _, err := fmt.Fprintf(o.io.Out, "%s\n", line); err != nil {
		return fmt.Errorf("write banner: %w", err)
	}
	logger.Info("simulated device listening", "endpoint", endpoint, "roles", len(st.Roles), "users", len(st.Users))
	if err := devicesim.Serve(ctx, ln, dev, cert); err != nil {
		return err
	}
	logger.Info("simulated device stopped", "assume_role_calls", dev.Calls(devicesim.ActionAssumeRole))
	return nil
}

// simulateState loads --state (or makes the default device) and applies the
// fault flags that were given.
func simulateState(o *simulateOptions) (*devicesim.State, error) {
	var st *devicesim.State
	var err error
	if o.statePath != "" {
		if st, err = devicesim.LoadState(o.statePath); err != nil {
			return nil, exitcode.New(exitcode.Config, err, "see 'snowsts simulate --help' for the state file's shape")
		}
	} else if st, err = devicesim.DefaultState(); err != nil {
		return nil, err
	}
	f := &st.Faults
	set := o.faultSet
	for name, apply := range map[string]func(){
		"latency":      func() { f.Latency = o.faults.Latency },
		"throttle":     func() { f.Throttle = o.faults.Throttle },
		"server-error": func() { f.ServerError = o.faults.ServerError },
		"malformed":    func() { f.Malformed = o.faults.Malformed },
		"truncate":     func() { f.Truncate = o.faults.Truncate },
		"drop":         func() { f.Drop = o.faults.Drop },
		"clock-skew":   func() { f.ClockSkew = o.faults.ClockSkew },
	} {
		if set[name] {
			apply()
		}
	}
	if err := st.Validate(); err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("fault flags: %w", err), "")
	}
	return st, nil
}

// simulateEndpoint is the URL clients use: an unspecified listen address
// (0.0.0.0, ::) is reached through loopback.
func simulateEndpoint(addr *net.TCPAddr, useTLS bool) string {
	ip := addr.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(ip.String(), fmt.Sprint(addr.Port))
}

// newSimulateCert makes the self-signed certificate for host and writes its
// PEM to certOut when given.
func newSimulateCert(host, certOut string) (*tls.Certificate, error) {
	cert, pemBytes, err := devicesim.NewSelfSignedCert(host)
	if err != nil {
		return nil, err
	}
	if certOut != "" {
		if err := os.WriteFile(certOut, pemBytes, 0o644); err != nil {
			return nil, exitcode.New(exitcode.Config, fmt.Errorf("write certificate: %w", err), "")
		}
	}
	return &cert, nil
}

// writePrivate writes data to a new or truncated file readable by its owner
// only.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
