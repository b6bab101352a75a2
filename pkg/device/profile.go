// Package device talks to a Snowball Edge device's local STS and IAM: it
// loads the device profile the way the AWS SDK does, builds SDK clients bound
// to the device's endpoints and certificate, calls AssumeRole and ListRoles, and
// classifies every failure into the contract's exit codes with one hint.
package device

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Region is the only region a Snowball Edge answers to.
const Region = "snow"

// Services are the device services snowsts configures, in the order it writes them.
var Services = []string{"sts", "iam", "s3", "ec2"}

// Profile is a device profile as the AWS SDK reads it from the shared files.
type Profile struct {
	Name         string
	Region       string
	ServicesName string            // the profile's `services` value
	Endpoints    map[string]string // service -> endpoint_url, from the services section
	CABundle     string            // ca_bundle, absolute path or ""
	AccessKeyID  string
	// SecretAccessKey is the device's long-term secret; never log or print it.
	SecretAccessKey string
}

// Files names the two AWS shared files.
type Files struct{ Config, Credentials string }

// LoadProfile reads profile name with the AWS SDK's own shared-config loader, so
// that snowsts sees exactly what the AWS CLI and SDKs will see. Environment
// variables are ignored on purpose: the device profile is the source of truth.
func LoadProfile(ctx context.Context, files Files, name string) (*Profile, error) {
	hint := fmt.Sprintf("run `snowsts configure --profile %s` to set up the device profile", name)
	for _, p := range []string{files.Config, files.Credentials} {
		if _, err := os.Stat(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, exitcode.New(exitcode.Config, fmt.Errorf("read %s: %w", p, err), "")
		}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{files.Config}
		o.CredentialsFiles = []string{files.Credentials}
	})
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q is not in %s or %s", name, files.Config, files.Credentials), hint)
		}
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("load profile %q: %w", name, err), hint)
	}
	p := &Profile{
		Name:            name,
		Region:          sc.Region,
		ServicesName:    sc.ServicesSectionName,
		Endpoints:       map[string]string{},
		CABundle:        sc.CustomCABundle,
		AccessKeyID:     sc.Credentials.AccessKeyID,
		SecretAccessKey: sc.Credentials.SecretAccessKey,
	}
	for svc, kv := range sc.Services.ServiceValues {
		if u := kv["endpoint_url"]; u != "" {
			p.Endpoints[strings.ToLower(svc)] = u
		}
	}
	return p, nil
}

// Endpoint returns the profile's endpoint for service, checked to be an
// absolute http or https URL.
func (p *Profile) Endpoint(service string) (string, error) {
	u := p.Endpoints[service]
	hint := fmt.Sprintf("run `snowsts configure --profile %s --device HOST` (or --%s-endpoint URL)", p.Name, service)
	if u == "" {
		return "", exitcode.New(exitcode.Config, fmt.Errorf("profile %q has no %s endpoint_url in its services section %q", p.Name, service, p.ServicesName), hint)
	}
	if err := CheckEndpointURL(u); err != nil {
		return "", exitcode.New(exitcode.Config, fmt.Errorf("profile %q: %s endpoint_url: %w", p.Name, service, err), hint)
	}
	return u, nil
}

// CheckEndpointURL accepts an absolute http(s) URL with a host and no query,
// fragment or credentials.
func CheckEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", clip(s))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with http:// or https://", clip(s))
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", clip(s))
	case u.User != nil:
		return fmt.Errorf("%q must not carry credentials", clip(s))
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment", clip(s))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%q has a space or control character", clip(s))
		}
	}
	return nil
}

// Check verifies what AssumeRole needs: keys, region and the STS endpoint.
func (p *Profile) Check() error {
	hint := fmt.Sprintf("run `snowsts configure --profile %s`", p.Name)
	if p.AccessKeyID == "" || p.SecretAccessKey == "" {
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q has no aws_access_key_id or aws_secret_access_key in the credentials file", p.Name), hint)
	}
	if p.Region != "" && p.Region != Region {
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q has region %q; a Snowball Edge answers only to %q", p.Name, p.Region, Region), hint)
	}
	_, err := p.Endpoint("sts")
	return err
}
