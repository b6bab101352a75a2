package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// required services fail when missing or unreachable; the others (S3, EC2)
// only warn, because a device may run without them and snowsts needs neither.
var required = map[string]bool{"sts": true, "iam": true}

// checkProfile loads the device profile and checks that it is complete: the
// region, the services section, an endpoint per service and both keys.
func checkProfile(ctx context.Context, o Options) (*device.Profile, []Result) {
	configure := fmt.Sprintf("run `snowsts configure --profile %s`", o.Profile)
	p, err := device.LoadProfile(ctx, o.Files, o.Profile)
	if err != nil {
		return nil, []Result{{Check: "profile", Status: Fail, Detail: err.Error(), Fix: hintOr(err, configure), Code: exitcode.Config}}
	}
	var problems, warnings []string
	switch {
	case p.Region == "":
		problems = append(problems, "no region (want region = snow)")
	case p.Region != device.Region:
		problems = append(problems, fmt.Sprintf("region %q (a Snowball Edge answers only to %q)", p.Region, device.Region))
	}
	if p.ServicesName == "" {
		problems = append(problems, "no services section (services = …)")
	}
	if p.AccessKeyID == "" || p.SecretAccessKey == "" {
		problems = append(problems, fmt.Sprintf("no aws_access_key_id or aws_secret_access_key in [%s] of %s", p.Name, o.Files.Credentials))
	}
	for _, svc := range device.Services {
		u := p.Endpoints[svc]
		switch {
		case u == "" && required[svc]:
			problems = append(problems, fmt.Sprintf("no %s endpoint_url", svc))
		case u == "":
			warnings = append(warnings, fmt.Sprintf("no %s endpoint_url", svc))
		default:
			if err := device.CheckEndpointURL(u); err != nil {
				problems = append(problems, fmt.Sprintf("%s endpoint_url: %v", svc, err))
			}
		}
	}
	r := Result{Check: "profile", Status: OK, Detail: fmt.Sprintf("profile %q: region %s, services %s, key %s, endpoints %s",
		p.Name, p.Region, p.ServicesName, device.Mask(p.AccessKeyID), endpointList(p))}
	switch {
	case len(problems) > 0:
		r = Result{Check: "profile", Status: Fail, Code: exitcode.Config,
			Detail: fmt.Sprintf("profile %q is incomplete: %s", p.Name, strings.Join(append(problems, warnings...), "; ")),
			Fix:    fmt.Sprintf("run `snowsts configure --profile %s --device IP --import-credentials FILE`", o.Profile)}
		return nil, []Result{r}
	case len(warnings) > 0:
		r.Status, r.Detail = Warn, fmt.Sprintf("profile %q: %s", p.Name, strings.Join(warnings, "; "))
		r.Fix = fmt.Sprintf("run `snowsts configure --profile %s --device IP` to write every endpoint", o.Profile)
	}
	return p, []Result{r}
}

func endpointList(p *device.Profile) string {
	var out []string
	for _, svc := range device.Services {
		if p.Endpoints[svc] != "" {
			out = append(out, svc)
		}
	}
	return strings.Join(out, " ")
}

func hintOr(err error, def string) string {
	if h := exitcode.HintOf(err); h != "" {
		return h
	}
	return def
}

// checkPermissions fails when the credentials file or the session cache (the
// directory and the files in it) can be read by the group or others.
func checkPermissions(o Options) []Result {
	var out []Result
	if o.Files.Credentials != "" {
		out = append(out, filePermissions("credentials file", o.Files.Credentials, 0o600))
	}
	if o.CacheDir != "" {
		out = append(out, cachePermissions(o.CacheDir))
	}
	return out
}

func filePermissions(what, path string, want fs.FileMode) Result {
	r := Result{Check: "permissions", Code: exitcode.Config}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("%s %s does not exist", what, path), "run `snowsts configure`"
	case err != nil:
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("%s: %v", what, err), "make it readable by its owner"
	case fi.Mode().Perm()&0o077 != 0:
		r.Status = Fail
		r.Detail = fmt.Sprintf("%s %s is open to group or others (mode %04o)", what, path, fi.Mode().Perm())
		r.Fix = fmt.Sprintf("chmod %04o %s", want, shellQuote(path))
	default:
		r.Status, r.Detail = OK, fmt.Sprintf("%s %s is private (mode %04o)", what, path, fi.Mode().Perm())
	}
	return r
}

func cachePermissions(dir string) Result {
	r := Result{Check: "permissions", Code: exitcode.Config}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Detail = OK, fmt.Sprintf("session cache %s does not exist yet", dir)
		return r
	case err != nil:
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("session cache: %v", err), "set SNOWSTS_CACHE_DIR to a private directory"
		return r
	case !fi.IsDir():
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("session cache %s is not a directory", dir), "set SNOWSTS_CACHE_DIR to a private directory"
		return r
	case fi.Mode().Perm()&0o077 != 0:
		r.Status = Fail
		r.Detail = fmt.Sprintf("session cache %s is open to group or others (mode %04o)", dir, fi.Mode().Perm())
		r.Fix = fmt.Sprintf("chmod -R go-rwx %s", shellQuote(dir))
		return r
	}
	var open []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().Perm()&0o077 != 0 {
			open = append(open, filepath.Base(path))
		}
		return nil
	})
	if len(open) > 0 {
		r.Status = Fail
		r.Detail = fmt.Sprintf("session cache %s holds entries open to group or others: %s", dir, strings.Join(first(open, 3), ", "))
		r.Fix = fmt.Sprintf("chmod -R go-rwx %s", shellQuote(dir))
		return r
	}
	r.Status, r.Detail = OK, fmt.Sprintf("session cache %s is private (mode %04o)", dir, fi.Mode().Perm())
	return r
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// shellQuote quotes a path for a fix the operator may paste into sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkBundle reads ca_bundle and reports its certificates' names and dates.
func checkBundle(p *device.Profile, now time.Time) (*device.CABundle, []Result) {
	https := false
	for _, u := range p.Endpoints {
		https = https || strings.HasPrefix(u, "https://")
	}
	if p.CABundle == "" {
		if https {
			return nil, []Result{{Check: "ca_bundle", Status: Warn,
				Detail: "HTTPS endpoints but no ca_bundle: the device's self-signed certificate cannot be verified",
				Fix:    "fetch the certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`"}}
		}
		return nil, nil
	}
	b, err := device.ReadCABundle(p.CABundle)
	if err != nil {
		return nil, []Result{{Check: "ca_bundle", Status: Fail, Code: exitcode.Config, Detail: fmt.Sprintf("ca_bundle: %v", err),
			Fix: "fetch the certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`"}}
	}
	c := b.Certs[0]
	r := Result{Check: "ca_bundle", Status: OK, Detail: fmt.Sprintf("ca_bundle %s: %d certificate(s), first for %s, valid until %s",
		p.CABundle, len(b.Certs), device.CertNames(c), c.NotAfter.UTC().Format(time.RFC3339))}
	switch {
	case now.After(c.NotAfter):
		r.Status, r.Code = Fail, exitcode.Config
		r.Detail = fmt.Sprintf("the certificate in ca_bundle %s expired at %s", p.CABundle, c.NotAfter.UTC().Format(time.RFC3339))
		r.Fix = "fetch the current certificate with `snowballEdge get-certificate`; check this machine's clock (`date -u`)"
	case now.Before(c.NotBefore):
		r.Status, r.Code = Fail, exitcode.Config
		r.Detail = fmt.Sprintf("the certificate in ca_bundle %s is valid only from %s", p.CABundle, c.NotBefore.UTC().Format(time.RFC3339))
		r.Fix = "this machine's clock is probably behind: set it (`date -u`)"
	case c.NotAfter.Sub(now) < 30*24*time.Hour:
		r.Status = Warn
		r.Fix = "the certificate expires within 30 days; `snowballEdge describe-device-software` shows the device's certificate expiry"
	}
	return b, []Result{r}
}
