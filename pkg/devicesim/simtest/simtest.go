// Package simtest starts simulated Snowball Edge devices for tests: one call
// instead of the state, device, server and certificate steps every test of a
// device-facing package would otherwise repeat.
package simtest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

// Sim is a simulated device serving on loopback for the length of a test.
type Sim struct {
	Device *devicesim.Device
	Server *httptest.Server
	// URL is the device's endpoint, http:// or https://.
	URL   string
	State *devicesim.State
	// Banner holds the first user's keys and the role ARNs.
	Banner devicesim.Banner
	// CertPEM is the device certificate (with TLS), as
	// `snowballEdge get-certificate` prints it.
	CertPEM []byte
}

// Options change what Start serves.
type Options struct {
	// State is the device's state; nil makes devicesim.DefaultState.
	State *devicesim.State
	// TLS serves HTTPS with a fresh self-signed certificate for 127.0.0.1.
	TLS bool
	// Wrap, when set, wraps the device's handler (to hold or count requests).
	Wrap func(http.Handler) http.Handler
}

// Start serves a simulated device until the test ends.
func Start(t testing.TB, o Options) *Sim {
	t.Helper()
	st := o.State
	if st == nil {
		var err error
		if st, err = devicesim.DefaultState(); err != nil {
			t.Fatal(err)
		}
	}
	dev, err := devicesim.New(st)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = dev
	if o.Wrap != nil {
		h = o.Wrap(dev)
	}
	s := &Sim{Device: dev, State: st, Server: httptest.NewUnstartedServer(h)}
	// Refused handshakes (wrong-CA tests) would fill the test log.
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	if o.TLS {
		cert, pemBytes, err := devicesim.NewSelfSignedCert("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		s.Server.TLS = devicesim.ServerTLSConfig(cert)
		s.Server.StartTLS()
		s.CertPEM = pemBytes
	} else {
		s.Server.Start()
	}
	t.Cleanup(s.Server.Close)
	s.URL = s.Server.URL
	s.Banner = dev.Banner(s.URL)
	return s
}
