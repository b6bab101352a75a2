// Package device talks to a Snowball Edge device's local STS and IAM: it
// loads the device profile the way the AWS SDK does, builds SDK clients bound
// to the device's endpoints and certificate, calls AssumeRole and ListRoles, and
// classifies every failure into the contract's exit codes with one hint.
package device

import (
	"context"
	"fmt"
	"net/url"

	"github.com/snowsts/snowsts/pkg/awsfile"
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

// LoadProfile reads profile name from the two shared files the way the AWS
// SDKs and the AWS CLI read it: region, services, ca_bundle and keys from
// [profile NAME] (or [default]) in the config file, keys from [NAME] in the
// credentials file winning over the config file's, and each service's
// endpoint_url from the profile's services section. Environment variables are
// ignored on purpose: the device profile is the source of truth. It uses
// pkg/awsfile's reader rather than the SDK's config loader, which would link
// the SSO and sign-in clients into every run of credential-process; a test
// holds the two readers to the same result.
func LoadProfile(ctx context.Context, files Files, name string) (*Profile, error) {
	cfg, err := awsfile.Load(files.Config)
	if err != nil {
		return nil, configError(err)
	}
	creds, err := awsfile.Load(files.Credentials)
	if err != nil {
		return nil, configError(err)
	}
	return FindProfile(files, cfg, creds, name)
}

// FindProfile is LoadProfile over files the caller has already parsed.
func FindProfile(files Files, cfg, creds *awsfile.Doc, name string) (*Profile, error) {
	p, ok := ProfileFrom(cfg, creds, name)
	if !ok {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q is not in %s or %s", name, files.Config, files.Credentials),
			fmt.Sprintf("run `snowsts configure --profile %s` to set up the device profile", name))
	}
	return p, nil
}

// ProfileFrom reads profile name from parsed config and credentials files;
// ok is false when neither file has it.
func ProfileFrom(cfg, creds *awsfile.Doc, name string) (p *Profile, ok bool) {
	ps := awsfile.ConfigSection(name)
	if !cfg.Has(ps) && !creds.Has(name) {
		return nil, false
	}
	p = &Profile{Name: name, Endpoints: map[string]string{}}
	p.Region, _ = cfg.Get(ps, "region")
	p.ServicesName, _ = cfg.Get(ps, "services")
	p.CABundle, _ = cfg.Get(ps, "ca_bundle")
	if id, found := creds.Get(name, "aws_access_key_id"); found {
		p.AccessKeyID = id
		p.SecretAccessKey, _ = creds.Get(name, "aws_secret_access_key")
	} else {
		p.AccessKeyID, _ = cfg.Get(ps, "aws_access_key_id")
		p.SecretAccessKey, _ = cfg.Get(ps, "aws_secret_access_key")
	}
	if p.ServicesName != "" {
		for _, svc := range Services {
			if u, ok := cfg.GetNested("services "+p.ServicesName, svc, "endpoint_url"); ok && u != "" {
				p.Endpoints[svc] = u
			}
		}
	}
	return p, true
}

func configError(err error) error { return exitcode.Default(exitcode.Config, err, "") }

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
		return fmt.Errorf("%q is not a URL", Clip(s))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with http:// or https://", Clip(s))
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", Clip(s))
	case u.User != nil:
		return fmt.Errorf("%q must not carry credentials", Clip(s))
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment", Clip(s))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%q has a space or control character", Clip(s))
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
