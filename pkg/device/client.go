package device

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// ConnectTimeout bounds one TCP connect to the device.
const ConnectTimeout = 5 * time.Second

// Credentials are temporary credentials issued by the device.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Assumed is the result of AssumeRole.
type Assumed struct {
	Credentials    Credentials
	AssumedRoleARN string
	AssumedRoleID  string
	// ClockSkew is the device clock minus this machine's, measured from the
	// reply's Date header (whole seconds, so within about a second).
	ClockSkew time.Duration
}

// SkewCorrection is the clock difference from which AssumeRole moves the
// device's Expiration into this machine's time. The device states expiry in
// its own clock; every consumer (the AWS CLI, SDKs, snowsts's cache) compares
// it with the local clock, so a device 20 minutes ahead would otherwise make
// credentials look valid 20 minutes past their real end. Below this bound the
// Date header's one-second resolution would only add noise.
const SkewCorrection = 5 * time.Second

// Client calls one device profile's STS and IAM.
type Client struct {
	profile  *Profile
	creds    aws.CredentialsProvider
	http     aws.HTTPClient
	log      *slog.Logger
	attempts int
}

// Options tune a Client.
type Options struct {
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
	// MaxAttempts bounds the attempts of one call: throttling, 5xx replies,
	// broken connections and a clock-skew refusal are tried again (default 3).
	MaxAttempts int
	// Warn receives warnings the operator must see, such as a pinned
	// certificate accepted for another name; nil sends them to Logger.
	Warn func(msg string)
}

// NewClient builds a client for p by hand from what LoadProfile read: p's
// long-term keys as the SDK's static credentials, the SDK's HTTP client with a
// 5 s connect timeout, no proxy and, when p has one, TLS verified against its
// ca_bundle only. Nothing here reads the environment or probes instance
// metadata, so the device is the only host snowsts ever contacts.
func NewClient(p *Profile, o Options) (*Client, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	warn := o.Warn
	if warn == nil {
		warn = func(msg string) { log.Warn(msg) }
	}
	hc, err := httpClient(p, onceFunc(warn))
	if err != nil {
		return nil, err
	}
	creds := aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, ""))
	return &Client{profile: p, creds: creds, http: hc, log: log, attempts: attempts}, nil
}

// httpClient is the SDK's buildable client with a connect timeout and, when the
// profile has one, TLS verified against its ca_bundle only (see TLSConfig).
func httpClient(p *Profile, warn func(string)) (*awshttp.BuildableClient, error) {
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.Proxy = nil // the device is on the local network; never go through a proxy
			t.TLSHandshakeTimeout = ConnectTimeout
		})
	if p.CABundle == "" {
		return hc, nil
	}
	bundle, err := ReadCABundle(p.CABundle)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q: ca_bundle: %w", p.Name, err),
			"fetch the device certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`")
	}
	dialer := &net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}
	return hc.WithTransportOptions(func(t *http.Transport) {
		// The handshake needs the host to check the certificate's name
		// against, which a shared tls.Config cannot know for an IP.
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			hctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
			defer cancel()
			conn := tls.Client(raw, bundle.TLSConfig(host, warn))
			if err := conn.HandshakeContext(hctx); err != nil {
				raw.Close()
				return nil, err
			}
			return conn, nil
		}
	}), nil
}

// CABundle is a profile's ca_bundle: the certificates `snowballEdge
// get-certificate` printed, trusted for the device and nothing else.
type CABundle struct {
	Path  string
	Pool  *x509.CertPool
	Certs []*x509.Certificate
}

// ReadCABundle reads a PEM file that must hold at least one certificate.
func ReadCABundle(path string) (*CABundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b := &CABundle{Path: path, Pool: x509.NewCertPool()}
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: a certificate does not parse: %w", path, err)
		}
		b.Pool.AddCert(c)
		b.Certs = append(b.Certs, c)
	}
	if len(b.Certs) == 0 {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s is empty", path)
		}
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return b, nil
}

// Pinned reports whether cert is byte for byte one of the bundle's.
func (b *CABundle) Pinned(cert *x509.Certificate) bool {
	for _, c := range b.Certs {
		if bytes.Equal(c.Raw, cert.Raw) {
			return true
		}
	}
	return false
}

// TLSConfig verifies the device at host against the bundle only. The chain
// must lead to a bundle certificate and be valid now; the name must match
// host, except that a device certificate byte-equal to one in the bundle is
// accepted whatever names it carries ("pinned"), and warn is told each time.
// A real device makes a new certificate when it is unlocked with a new IP,
// and may be reached at an address its certificate does not name (a second
// interface, NAT); the operator put exactly this certificate in ca_bundle, so
// it proves the device's identity as well as a name would. Verification is
// never skipped: Go's own check is replaced by this stricter-or-equal one.
func (b *CABundle) TLSConfig(host string, warn func(string)) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: b.Pool}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	// InsecureSkipVerify only hands verification to VerifyConnection below,
	// which runs on every handshake and fails closed.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return b.Verify(cs.PeerCertificates, host, time.Now(), warn)
	}
	return cfg
}

// Verify checks a device's certificate chain (leaf first) for host at now;
// see TLSConfig. Errors wrap x509's own (UnknownAuthorityError,
// HostnameError, CertificateInvalidError) in a tls.CertificateVerificationError.
func (b *CABundle) Verify(chain []*x509.Certificate, host string, now time.Time, warn func(string)) error {
	if len(chain) == 0 {
		return errors.New("tls: the device sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: b.Pool, Intermediates: x509.NewCertPool(), CurrentTime: now}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chain, Err: err}
	}
	if err := leaf.VerifyHostname(host); err != nil {
		if !b.Pinned(leaf) {
			return &tls.CertificateVerificationError{UnverifiedCertificates: chain, Err: err}
		}
		if warn != nil {
			warn(fmt.Sprintf("the device certificate is issued for %s, not %s; accepted because it is exactly the certificate in ca_bundle %s (pinned)",
				CertNames(leaf), host, b.Path))
		}
	}
	return nil
}

// CertNames lists the names a certificate is valid for, for messages.
func CertNames(c *x509.Certificate) string {
	var names []string
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	names = append(names, c.DNSNames...)
	if len(names) == 0 {
		return "no name"
	}
	return fmt.Sprint(names)
}

// onceFunc calls warn at most once per message for one client, so that a
// command warns once however many connections it opens.
func onceFunc(warn func(string)) func(string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(msg string) {
		mu.Lock()
		first := !seen[msg]
		seen[msg] = true
		mu.Unlock()
		if first {
			warn(msg)
		}
	}
}

// skewCodes are the replies a device gives to a request signed with a clock
// too far from its own.
var skewCodes = map[string]bool{"RequestExpired": true, "RequestTimeTooSkewed": true, "SignatureExpired": true}

// LoadCABundle reads a PEM file that must hold at least one certificate.
func LoadCABundle(path string) (*x509.CertPool, error) {
	b, err := ReadCABundle(path)
	if err != nil {
		return nil, err
	}
	return b.Pool, nil
}

// Profile returns the profile the client was built for.
func (c *Client) Profile() *Profile { return c.profile }

// AssumeRole calls the device's STS. in is assumed validated.
func (c *Client) AssumeRole(ctx context.Context, roleARN, sessionName string, durationSeconds int) (*Assumed, error) {
	endpoint, err := c.profile.Endpoint("sts")
	if err != nil {
		return nil, err
	}
	c.log.Debug("AssumeRole", "endpoint", endpoint, "role", roleARN, "session", sessionName,
		"duration", durationSeconds, "access_key_id", Mask(c.profile.AccessKeyID))
	start := time.Now()
	form := url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {roleARN}, "RoleSessionName": {sessionName}, "DurationSeconds": {strconv.Itoa(durationSeconds)},
	}
	var out assumeRoleResponse
	r, err := c.query(ctx, "sts", endpoint, form, &out)
	if err != nil {
		c.log.Debug("AssumeRole failed", "elapsed", time.Since(start), "error", err)
		return nil, Classify(err, c.profile, "sts")
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	res := out.Result
	a := &Assumed{Credentials: Credentials{
		AccessKeyID:     res.Credentials.AccessKeyID,
		SecretAccessKey: res.Credentials.SecretAccessKey,
		SessionToken:    res.Credentials.SessionToken,
		Expiration:      res.Credentials.expiration.UTC().Truncate(time.Second),
	}, AssumedRoleARN: res.AssumedRoleUser.Arn, AssumedRoleID: res.AssumedRoleUser.AssumedRoleID}
	if skew, ok := r.skew(); ok {
		a.ClockSkew = skew
		if skew >= SkewCorrection || skew <= -SkewCorrection {
			// The device states expiry in its own clock; move it to ours.
			c.log.Debug("device clock differs; expiration moved to local time", "skew", skew.Round(time.Second),
				"device_expiration", a.Credentials.Expiration.Format(time.RFC3339))
			a.Credentials.Expiration = a.Credentials.Expiration.Add(-skew).Truncate(time.Second)
		}
	}
	if err := ValidateCredentials(a.Credentials); err != nil {
		return nil, err
	}
	c.log.Debug("AssumeRole ok", "elapsed", time.Since(start), "access_key_id", Mask(a.Credentials.AccessKeyID),
		"expiration", a.Credentials.Expiration.Format(time.RFC3339))
	return a, nil
}

// Role is one IAM role on the device.
type Role struct {
	RoleName           string
	Arn                string
	Path               string
	MaxSessionDuration int32
	CreateDate         time.Time
}

// ListRoles lists every role through the device's IAM endpoint, page by page.
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	endpoint, err := c.profile.Endpoint("iam")
	if err != nil {
		return nil, err
	}
	var roles []Role
	marker := ""
	for page := 0; page < 10000; page++ {
		form := url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}}
		if marker != "" {
			form.Set("Marker", marker)
		}
		var out listRolesResponse
		if _, err := c.query(ctx, "iam", endpoint, form, &out); err != nil {
			return nil, Classify(err, c.profile, "iam")
		}
		for _, r := range out.Result.Roles {
			created, _ := time.Parse(time.RFC3339, r.CreateDate)
			roles = append(roles, Role{
				RoleName: r.RoleName, Arn: r.Arn, Path: r.Path,
				MaxSessionDuration: r.MaxSessionDuration, CreateDate: created.UTC(),
			})
		}
		if !out.Result.IsTruncated || out.Result.Marker == "" || out.Result.Marker == marker {
			break
		}
		marker = out.Result.Marker
	}
	return roles, nil
}

// Mask shows only the last four characters of a secret or key id.
func Mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
