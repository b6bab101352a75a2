// Package profile writes and reads the profile shapes snowsts owns in the AWS
// shared files: the device profile (keys, region snow, a services section with
// the device's endpoints, ca_bundle), the assumed-role profile (temporary
// credentials plus a config section that points at the device's services), and
// the credential_process profile.
//
// Every section snowsts writes carries the mark `x_snowsts_managed = true`
// (a key inside the section; see package awsfile). A config section also says
// which shape it is with `x_snowsts_kind` (device, assumed or process), and an
// assumed-role or credential_process profile records its role session
// (x_snowsts_source_profile, x_snowsts_role_arn, x_snowsts_role_session_name,
// x_snowsts_duration_seconds), so that it can be assumed again when it expires
// and `clear` can remove its cached sessions. A same-named section that
// snowsts did not write is never changed without force. The services section
// of a device profile belongs to the device profile that names it.
package profile

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Keys snowsts writes besides the AWS ones.
const (
	KindKey        = "x_snowsts_kind"
	SourceKey      = "x_snowsts_source_profile"
	RoleARNKey     = "x_snowsts_role_arn"
	SessionNameKey = "x_snowsts_role_session_name"
	DurationKey    = "x_snowsts_duration_seconds"
	ExpiresKey     = "x_security_token_expires"
)

// The kinds of profile snowsts writes.
const (
	KindDevice  = "device"
	KindAssumed = "assumed"
	KindProcess = "process"
)

// TimeLayout is how every time is printed and stored: UTC, no fraction, Z.
const TimeLayout = "2006-01-02T15:04:05Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(TimeLayout) }

// Ports are the device's service ports: [http, https].
var Ports = map[string][2]int{"sts": {7078, 7089}, "iam": {6078, 6089}, "s3": {8080, 8443}, "ec2": {8008, 8243}}

// EndpointsFor gives the four service endpoints of a device at host.
func EndpointsFor(host string, https bool) map[string]string {
	scheme, i := "http", 0
	if https {
		scheme, i = "https", 1
	}
	out := map[string]string{}
	for svc, p := range Ports {
		out[svc] = scheme + "://" + net.JoinHostPort(host, strconv.Itoa(p[i]))
	}
	return out
}

// ValidateHost accepts an IP address or a DNS name, without scheme or port.
func ValidateHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	if strings.Contains(h, "://") {
		return fmt.Errorf("%q is a URL; give the device's IP or name (or a full URL with --sts-endpoint)", device.Clip(h))
	}
	if len(h) == 0 || len(h) > 253 {
		return fmt.Errorf("%q is not an IP address or host name", device.Clip(h))
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not an IP address or host name", device.Clip(h))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not an IP address or host name", device.Clip(h))
			}
		}
	}
	return nil
}

// Load reads both shared files, each as a parsed Doc (missing files are empty).
func Load(paths awsfile.Paths) (cfg, creds *awsfile.Doc, err error) {
	if cfg, err = awsfile.Load(paths.Config); err != nil {
		return nil, nil, configErr(err)
	}
	if creds, err = awsfile.Load(paths.Credentials); err != nil {
		return nil, nil, configErr(err)
	}
	return cfg, creds, nil
}

func configErr(err error) error {
	return exitcode.Default(exitcode.Config, err, "fix the file by hand; snowsts left it as it was")
}

// refuseForeign fails when a section exists that snowsts did not write.
func refuseForeign(d *awsfile.Doc, section, file string, force bool) error {
	if force || !d.Has(section) || d.IsManaged(section) {
		return nil
	}
	return exitcode.New(exitcode.Config,
		fmt.Errorf("section [%s] in %s was not written by snowsts; refusing to change it", section, file),
		"choose another name (--target-profile), or pass --force to take the section over")
}

// Warnings are things to tell the operator after a successful write.
type Warnings []string

func (w *Warnings) add(r awsfile.Result) {
	if r.Warning != "" {
		*w = append(*w, r.Warning)
	}
}

// update wraps awsfile.Update with the Config exit code for malformed files.
func update(ctx context.Context, path string, fn func(*awsfile.Doc) error) (awsfile.Result, error) {
	r, err := awsfile.Update(ctx, path, fn)
	if err != nil {
		return r, configErr(err)
	}
	return r, nil
}
