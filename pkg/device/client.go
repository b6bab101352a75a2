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
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

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
}

// Client calls one device profile's STS and IAM.
type Client struct {
	profile *Profile
	cfg     aws.Config
	log     *slog.Logger
}

// Options tune a Client.
type Options struct {
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
	// MaxAttempts bounds the SDK's retries of throttling, 5xx and connection
	// errors (default 3).
	MaxAttempts int
}

// NewClient builds SDK configuration for p by hand from what LoadProfile read:
// region snow, p's long-term keys, p's ca_bundle, a 5 s connect timeout and the
// SDK's standard retryer. Nothing here reads the environment or probes
// instance metadata, so the device is the only host snowsts ever contacts.
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
	hc, err := httpClient(p)
	if err != nil {
		return nil, err
	}
	cfg := aws.Config{
		Region:      Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, "")),
		HTTPClient:  hc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				so.MaxBackoff = 2 * time.Second
			})
		},
		RetryMaxAttempts: attempts,
	}
	return &Client{profile: p, cfg: cfg, log: log}, nil
}

// httpClient is the SDK's buildable client with a connect timeout and, when the
// profile has one, a root pool made of its ca_bundle only.
func httpClient(p *Profile) (*awshttp.BuildableClient, error) {
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.Proxy = nil // the device is on the local network; never go through a proxy
			t.TLSHandshakeTimeout = ConnectTimeout
		})
	if p.CABundle == "" {
		return hc, nil
	}
	pool, err := LoadCABundle(p.CABundle)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q: ca_bundle: %w", p.Name, err),
			"fetch the device certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`")
	}
	return hc.WithTransportOptions(func(t *http.Transport) {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		t.TLSClientConfig.RootCAs = pool
	}), nil
}

// LoadCABundle reads a PEM file that must hold at least one certificate.
func LoadCABundle(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: a certificate does not parse: %w", path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s is empty", path)
		}
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
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
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) })
	start := time.Now()
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(sessionName),
		DurationSeconds: aws.Int32(int32(durationSeconds)),
	})
	if err != nil {
		c.log.Debug("AssumeRole failed", "elapsed", time.Since(start), "error", err)
		return nil, Classify(err, c.profile, "sts")
	}
	if out.Credentials == nil {
		return nil, exitcode.New(exitcode.Unreachable, errors.New("the device's AssumeRole reply has no Credentials"), hintNonsense)
	}
	a := &Assumed{Credentials: Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Expiration:      aws.ToTime(out.Credentials.Expiration).UTC().Truncate(time.Second),
	}}
	if u := out.AssumedRoleUser; u != nil {
		a.AssumedRoleARN, a.AssumedRoleID = aws.ToString(u.Arn), aws.ToString(u.AssumedRoleId)
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

// ListRoles lists every role through the device's IAM endpoint.
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	endpoint, err := c.profile.Endpoint("iam")
	if err != nil {
		return nil, err
	}
	client := iam.NewFromConfig(c.cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var roles []Role
	p := iam.NewListRolesPaginator(client, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, Classify(err, c.profile, "iam")
		}
		for _, r := range page.Roles {
			roles = append(roles, Role{
				RoleName:           aws.ToString(r.RoleName),
				Arn:                aws.ToString(r.Arn),
				Path:               aws.ToString(r.Path),
				MaxSessionDuration: aws.ToInt32(r.MaxSessionDuration),
				CreateDate:         aws.ToTime(r.CreateDate).UTC(),
			})
		}
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
