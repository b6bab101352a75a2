package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// proto is what a port turned out to speak.
type proto int

const (
	protoUnknown proto = iota
	protoTLS
	protoPlain
)

// target is one configured service endpoint and what the probes found.
type target struct {
	service, url, scheme, host, port string

	conn     net.Conn
	dialErr  error
	dialTook time.Duration
	timeout  time.Duration

	speaks   proto
	tlsErr   error // the handshake's error, for HTTPS endpoints
	peer     *x509.Certificate
	pinned   string // the pinning warning, when the name differed
	probeErr error  // why the protocol could not be told

	clockErr   error
	deviceTime time.Time
	skew       time.Duration
}

func (t *target) addr() string { return net.JoinHostPort(t.host, t.port) }

// endpoints are the profile's service endpoints, in device.Services order.
func endpoints(p *device.Profile) []*target {
	var out []*target
	for _, svc := range device.Services {
		raw := p.Endpoints[svc]
		u, err := url.Parse(raw)
		if raw == "" || err != nil || u.Hostname() == "" {
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"https": "443"}[u.Scheme]
			if port == "" {
				port = "80"
			}
		}
		out = append(out, &target{service: svc, url: raw, scheme: u.Scheme, host: u.Hostname(), port: port})
	}
	return out
}

// dialPorts connects to every endpoint at once, each bounded by timeout.
func dialPorts(ctx context.Context, ts []*target, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.timeout = timeout
			d := net.Dialer{Timeout: timeout}
			start := time.Now()
			t.conn, t.dialErr = d.DialContext(ctx, "tcp", t.addr())
			t.dialTook = time.Since(start)
		}()
	}
	wg.Wait()
}

func (t *target) failStatus() Status {
	if required[t.service] {
		return Fail
	}
	return Warn
}

func (t *target) portResult() Result {
	name := strings.ToUpper(t.service)
	r := Result{Check: "port " + t.service, Code: exitcode.Unreachable}
	if t.dialErr == nil {
		r.Status, r.Detail = OK, fmt.Sprintf("%s %s accepts TCP connections (%s)", name, t.addr(), t.dialTook.Round(time.Millisecond))
		return r
	}
	r.Status = t.failStatus()
	var dnsErr *net.DNSError
	switch {
	case errors.Is(t.dialErr, syscall.ECONNREFUSED):
		r.Detail = fmt.Sprintf("%s %s refused the connection", name, t.addr())
		r.Fix = fmt.Sprintf("is the device unlocked (`snowballEdge unlock-device`) and its %s service started? is %s the right port (HTTP %s, HTTPS %s)?",
			name, t.port, defaultPort(t.service, false), defaultPort(t.service, true))
	case isTimeout(t.dialErr):
		r.Detail = fmt.Sprintf("%s %s did not answer within %s: packets are dropped", name, t.addr(), t.timeout)
		r.Fix = fmt.Sprintf("open TCP port %s from this machine to the device in the firewall, or check the device's IP on its display and run `snowsts configure --device IP`", t.port)
	case errors.As(t.dialErr, &dnsErr):
		r.Detail = fmt.Sprintf("%s: cannot resolve %q", name, t.host)
		r.Fix = "use the device's IP address: `snowsts configure --device IP`"
	default:
		r.Detail = fmt.Sprintf("%s %s: %v", name, t.addr(), rootCause(t.dialErr))
		r.Fix = "check the network route to the device (`ip route get " + t.host + "`)"
	}
	if r.Status == Warn {
		r.Fix += fmt.Sprintf(" (snowsts does not need %s; the tools that use it do)", name)
	}
	return r
}

func defaultPort(svc string, https bool) string {
	ports := map[string][2]string{"sts": {"7078", "7089"}, "iam": {"6078", "6089"}, "s3": {"8080", "8443"}, "ec2": {"8008", "8243"}}
	if https {
		return ports[svc][1]
	}
	return ports[svc][0]
}

// tlsConfig is how snowsts itself verifies host: against ca_bundle (with
// pinning) when the profile has one, else against the system roots.
func tlsConfig(host string, bundle *device.CABundle, warn func(string)) *tls.Config {
	if bundle != nil {
		return bundle.TLSConfig(host, warn)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
}

// probe learns, on every open port at once, whether it speaks TLS (by a
// handshake on the connection the port check opened), verifies the
// certificate the way snowsts does, and reads the device clock from STS.
func probe(ctx context.Context, ts []*target, p *device.Profile, bundle *device.CABundle, o Options) {
	var wg sync.WaitGroup
	for _, t := range ts {
		if t.conn == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.handshake(ctx, bundle, o.PortTimeout)
		}()
		if t.service == "sts" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.readClock(ctx, bundle, o.PortTimeout, o.Now)
			}()
		}
	}
	wg.Wait()
}

func (t *target) handshake(ctx context.Context, bundle *device.CABundle, timeout time.Duration) {
	defer t.conn.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var cb *device.CABundle
	if t.scheme == "https" {
		cb = bundle
	}
	c := tls.Client(t.conn, tlsConfig(t.host, cb, func(m string) { t.pinned = m }))
	err := c.HandshakeContext(ctx)
	var rh tls.RecordHeaderError
	var ve *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil:
		t.speaks = protoTLS
		if pc := c.ConnectionState().PeerCertificates; len(pc) > 0 {
			t.peer = pc[0]
		}
	case errors.As(err, &rh):
		t.speaks, t.probeErr = protoPlain, err
	case errors.As(err, &ve):
		t.speaks, t.tlsErr = protoTLS, err
		if len(ve.UnverifiedCertificates) > 0 {
			t.peer = ve.UnverifiedCertificates[0]
		}
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		t.speaks, t.tlsErr = protoTLS, err
	default:
		t.probeErr = err
	}
	if t.scheme == "http" {
		t.tlsErr = nil // a certificate on a port used as http:// is beside the point
	}
}

// readClock sends one unsigned GET to STS and reads the reply's Date header.
// The device answers it with an error document; only the header matters.
func (t *target) readClock(ctx context.Context, bundle *device.CABundle, timeout time.Duration, now func() time.Time) {
	d := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSClientConfig: tlsConfig(t.host, bundle, nil),
		TLSHandshakeTimeout: timeout, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.url, "/")+"/", nil)
	if err != nil {
		t.clockErr = err
		return
	}
	start := now()
	resp, err := hc.Do(req)
	end := now()
	if err != nil {
		t.clockErr = err
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	date := resp.Header.Get("Date")
	if date == "" {
		t.clockErr = errors.New("the reply has no Date header")
		return
	}
	dt, err := http.ParseTime(date)
	if err != nil {
		t.clockErr = fmt.Errorf("the reply's Date header %q does not parse", clip(date))
		return
	}
	// Date has whole seconds, truncated: the device's time is dt+0.5s on
	// average, read halfway through the round trip.
	local := start.Add(end.Sub(start) / 2)
	t.deviceTime = dt
	t.skew = dt.Add(500 * time.Millisecond).Sub(local).Round(time.Second)
}

func (t *target) protocolResult(p *device.Profile, bundle *device.CABundle) Result {
	name := strings.ToUpper(t.service)
	r := Result{Check: "tls " + t.service, Code: exitcode.Unreachable}
	if t.scheme == "http" {
		r.Check = "http " + t.service
	}
	if t.conn == nil {
		r.Status, r.Detail = Skip, fmt.Sprintf("%s port not reachable", name)
		return r
	}
	switch {
	case t.scheme == "http" && t.speaks == protoTLS:
		r.Status = t.failStatus()
		r.Detail = fmt.Sprintf("%s %s is configured as http:// but the port speaks HTTPS", name, t.url)
		r.Fix = fmt.Sprintf("use the HTTPS endpoints (`snowsts configure --https --ca-bundle FILE`) or the HTTP port %s", defaultPort(t.service, false))
	case t.scheme == "http" && t.speaks == protoPlain:
		r.Status, r.Detail = OK, fmt.Sprintf("%s %s speaks plain HTTP", name, t.addr())
	case t.scheme == "http":
		r.Status, r.Detail = Warn, fmt.Sprintf("%s %s: could not tell the protocol (%s)", name, t.addr(), clip(rootCause(t.probeErr)))
		r.Fix = "is this the device's port? `snowballEdge describe-service` lists the running services"
	case t.speaks == protoPlain:
		r.Status = t.failStatus()
		r.Detail = fmt.Sprintf("%s %s is configured as https:// but the port speaks plain HTTP", name, t.url)
		r.Fix = fmt.Sprintf("use the HTTPS port %s, or http:// for port %s (`snowsts configure --device IP` without --https)",
			defaultPort(t.service, true), t.port)
	case t.speaks == protoUnknown:
		r.Status = t.failStatus()
		r.Detail = fmt.Sprintf("%s %s: TLS handshake failed: %s", name, t.addr(), clip(rootCause(t.probeErr)))
		r.Fix = fmt.Sprintf("is %s the device's HTTPS port (%s)? `snowballEdge describe-service` lists the running services", t.port, defaultPort(t.service, true))
	case t.tlsErr != nil:
		r.Status = t.failStatus()
		r.Detail, r.Fix = tlsFailure(name, t, p)
	case t.pinned != "":
		r.Status = Warn
		r.Detail = fmt.Sprintf("%s: %s", name, t.pinned)
		r.Fix = fmt.Sprintf("nothing to do if %s is meant to reach the device (NAT, second interface); else `snowsts configure --device` with the address the certificate names", t.host)
	default:
		against := "the system's roots"
		if bundle != nil {
			against = "ca_bundle " + bundle.Path
		}
		r.Status = OK
		r.Detail = fmt.Sprintf("%s %s: TLS verified against %s", name, t.addr(), against)
		if t.peer != nil {
			r.Detail += fmt.Sprintf(" (certificate for %s, until %s)", device.CertNames(t.peer), t.peer.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return r
}

// tlsFailure names a certificate failure and its fix.
func tlsFailure(name string, t *target, p *device.Profile) (detail, fix string) {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	presented := ""
	if t.peer != nil {
		presented = " (the device presents a certificate for " + device.CertNames(t.peer) + ")"
	}
	switch {
	case errors.As(t.tlsErr, &hostErr):
		return fmt.Sprintf("%s %s: TLS name mismatch: the certificate is not valid for %s%s", name, t.addr(), t.host, presented),
			"the device was unlocked with another IP: reach it at the address its certificate names (`snowsts configure --device IP`), or fetch its current certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`"
	case errors.As(t.tlsErr, &unknownCA) && p.CABundle == "":
		return fmt.Sprintf("%s %s: TLS: certificate signed by an unknown authority, and the profile has no ca_bundle%s", name, t.addr(), presented),
			"fetch the device certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE` (ca_bundle)"
	case errors.As(t.tlsErr, &unknownCA):
		return fmt.Sprintf("%s %s: TLS: certificate signed by an unknown authority: not the certificate in ca_bundle %s%s", name, t.addr(), p.CABundle, presented),
			"the device makes a new certificate when it is unlocked (for example with a new IP): fetch it with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`"
	case errors.As(t.tlsErr, &invalid):
		return fmt.Sprintf("%s %s: TLS: the device certificate is not valid: %s", name, t.addr(), clip(invalid.Error())),
			"check this machine's clock (`date -u`) and the device's certificate expiry (`snowballEdge describe-device-software`)"
	}
	return fmt.Sprintf("%s %s: TLS: %s", name, t.addr(), clip(rootCause(t.tlsErr))),
		"fetch the device certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`"
}

// clockResult judges the clock difference STS's Date header showed.
func clockResult(sts *target) Result {
	r := Result{Check: "clock", Code: exitcode.Refused}
	switch {
	case sts == nil:
		r.Status, r.Detail = Skip, "no STS endpoint to read the device clock from"
		return r
	case sts.conn == nil:
		r.Status, r.Detail = Skip, "STS port not reachable"
		return r
	case sts.tlsErr != nil || (sts.scheme == "https" && sts.speaks != protoTLS) || (sts.scheme == "http" && sts.speaks == protoTLS):
		r.Status, r.Detail = Skip, "no working connection to STS"
		return r
	case sts.clockErr != nil:
		r.Status, r.Detail = Warn, fmt.Sprintf("could not read the device clock: %s", clip(rootCause(sts.clockErr)))
		r.Fix = "is the STS endpoint the device's? compare `date -u` with the device's clock"
		return r
	}
	abs := sts.skew
	if abs < 0 {
		abs = -abs
	}
	way := "ahead of"
	if sts.skew < 0 {
		way = "behind"
	}
	r.Detail = fmt.Sprintf("the device clock is %s %s this machine's (device %s)", abs, way, sts.deviceTime.UTC().Format(time.RFC3339))
	fix := "set this machine's clock (`date -u`; `sudo date -u -s 'YYYY-MM-DD hh:mm:ss'`) or the device's time servers (`snowballEdge update-time-servers`); snowsts corrects the skew itself, but requests signed more than 15 minutes off are refused by the device, and other tools may not correct it"
	switch {
	case abs > FailSkew:
		r.Status, r.Fix = Fail, fix
	case abs > WarnSkew:
		r.Status, r.Fix = Warn, fix
	default:
		r.Status, r.Detail = OK, fmt.Sprintf("the device clock is within %s of this machine's (device %s)", abs, sts.deviceTime.UTC().Format(time.RFC3339))
	}
	return r
}

// deviceCalls asks the device about the keys (IAM ListRoles) and, with a
// role, assumes it; both at once, bounded by CallTimeout.
func deviceCalls(ctx context.Context, p *device.Profile, ts []*target, o Options) []Result {
	keys := Result{Check: "keys"}
	assume := Result{Check: "assume-role"}
	usable := func(svc string) string {
		t := find(ts, svc)
		switch {
		case t == nil:
			return "no " + svc + " endpoint"
		case t.conn == nil:
			return strings.ToUpper(svc) + " port not reachable"
		case t.scheme == "https" && (t.speaks != protoTLS || t.tlsErr != nil),
			t.scheme == "http" && t.speaks == protoTLS:
			return "no working connection to " + strings.ToUpper(svc)
		}
		return ""
	}
	c, err := device.NewClient(p, device.Options{MaxAttempts: 2, Warn: o.Warn})
	if err != nil {
		r := Result{Check: "keys", Status: Fail, Detail: err.Error(), Fix: exitcode.HintOf(err), Code: exitcode.Of(err)}
		return []Result{r}
	}
	ctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	defer cancel()
	var wg sync.WaitGroup
	if why := usable("iam"); why != "" {
		keys.Status, keys.Detail = Skip, why
	} else {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roles, err := c.ListRoles(ctx)
			switch {
			case err == nil:
				keys.Status = OK
				keys.Detail = fmt.Sprintf("the device accepts access key %s (IAM lists %d roles)", device.Mask(p.AccessKeyID), len(roles))
			case exitcode.Of(err) == exitcode.Refused && strings.Contains(err.Error(), "AccessDenied"):
				keys.Status = Warn
				keys.Detail = fmt.Sprintf("the device accepts access key %s but denies it iam:ListRoles", device.Mask(p.AccessKeyID))
				keys.Fix = "`snowsts roles` and the role picker need iam:ListRoles; pass --role-arn instead"
			default:
				keys.Status, keys.Code = Fail, exitcode.Of(err)
				keys.Detail, keys.Fix = err.Error(), exitcode.HintOf(err)
			}
		}()
	}
	if o.RoleARN != "" {
		if why := usable("sts"); why != "" {
			assume.Status, assume.Detail = Skip, why
		} else {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := c.AssumeRole(ctx, o.RoleARN, o.SessionName, o.DurationSeconds)
				if err != nil {
					assume.Status, assume.Code = Fail, exitcode.Of(err)
					assume.Detail, assume.Fix = err.Error(), exitcode.HintOf(err)
					return
				}
				assume.Status = OK
				assume.Detail = fmt.Sprintf("AssumeRole %s gave %s, expiring %s (in %s)", o.RoleARN, a.AssumedRoleARN,
					a.Credentials.Expiration.UTC().Format(time.RFC3339), a.Credentials.Expiration.Sub(o.Now()).Round(time.Second))
			}()
		}
	}
	wg.Wait()
	out := []Result{keys}
	if o.RoleARN != "" {
		out = append(out, assume)
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func rootCause(err error) string {
	if err == nil {
		return "no error"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// clip keeps text from the network to one short line.
func clip(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }), " ")
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
