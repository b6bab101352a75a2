package profile

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Role says which role a profile assumes on which device profile.
type Role struct {
	DeviceProfile   string
	RoleARN         string
	SessionName     string
	DurationSeconds int
}

// Assumed is an assumed-role profile: the role and the credentials it got.
type Assumed struct {
	Target string
	Role
	// ServicesName and CABundle are copied from the device profile so that
	// every AWS tool reaches the same device with the same certificate.
	ServicesName string
	CABundle     string
	Credentials  device.Credentials
}

// CheckAssumedWritable refuses, before any network call, a target whose
// sections exist and were not written by snowsts, or that is a device profile.
func CheckAssumedWritable(paths awsfile.Paths, cfg, creds *awsfile.Doc, target string, force bool) error {
	if err := checkAssumedConfig(paths, cfg, target, force); err != nil {
		return err
	}
	return refuseForeign(creds, target, paths.Credentials, force)
}

func checkAssumedConfig(paths awsfile.Paths, cfg *awsfile.Doc, target string, force bool) error {
	ps := awsfile.ConfigSection(target)
	if k, _ := cfg.Get(ps, KindKey); k == KindDevice && cfg.IsManaged(ps) {
		return exitcode.New(exitcode.Config, fmt.Errorf("profile %q is a device profile; refusing to overwrite its long-term keys with temporary ones", target),
			"choose another --target-profile")
	}
	return refuseForeign(cfg, ps, paths.Config, force)
}

// WriteAssumed writes [T] in the credentials file and [profile T] in the
// config file, both marked as snowsts's.
func WriteAssumed(ctx context.Context, paths awsfile.Paths, a Assumed, force bool) (Warnings, error) {
	var warn Warnings
	ps := awsfile.ConfigSection(a.Target)
	r, err := update(ctx, paths.Credentials, func(doc *awsfile.Doc) error {
		if err := refuseForeign(doc, a.Target, paths.Credentials, force); err != nil {
			return err
		}
		c := a.Credentials
		return run([]func() error{
			func() error { return doc.Set(a.Target, "aws_access_key_id", c.AccessKeyID) },
			func() error { return doc.Set(a.Target, "aws_secret_access_key", c.SecretAccessKey) },
			func() error { return doc.Set(a.Target, "aws_session_token", c.SessionToken) },
			func() error { return doc.Set(a.Target, ExpiresKey, FormatTime(c.Expiration)) },
			func() error { return doc.MarkManaged(a.Target) },
		})
	})
	if err != nil {
		return nil, fmt.Errorf("write credentials of profile %q: %w", a.Target, err)
	}
	warn.add(r)
	r, err = update(ctx, paths.Config, func(doc *awsfile.Doc) error {
		if err := checkAssumedConfig(paths, doc, a.Target, force); err != nil {
			return err
		}
		steps := []func() error{
			func() error { return doc.Set(ps, "region", device.Region) },
			func() error { return doc.Set(ps, "services", a.ServicesName) },
			func() error { return doc.MarkManaged(ps) },
			func() error { return doc.Set(ps, KindKey, KindAssumed) },
			func() error { return doc.Set(ps, SourceKey, a.DeviceProfile) },
			func() error { return doc.Set(ps, RoleARNKey, a.RoleARN) },
			func() error { return doc.Set(ps, SessionNameKey, a.SessionName) },
			func() error { return doc.Set(ps, DurationKey, strconv.Itoa(a.DurationSeconds)) },
		}
		if a.CABundle != "" {
			steps = append(steps, func() error { return doc.Set(ps, "ca_bundle", a.CABundle) })
		} else {
			steps = append(steps, func() error { return doc.Delete(ps, "ca_bundle") })
		}
		return run(steps)
	})
	if err != nil {
		return warn, fmt.Errorf("write profile %q: %w", a.Target, err)
	}
	warn.add(r)
	return warn, nil
}

// Recorded is what the files say about a managed assumed-role profile.
type Recorded struct {
	Target string
	Role
	// Credentials are nil when the credentials file has none for the profile.
	Credentials *device.Credentials
}

// ReadAssumed reads the managed assumed-role profile target.
func ReadAssumed(cfg, creds *awsfile.Doc, target string) (*Recorded, error) {
	ps := awsfile.ConfigSection(target)
	hint := "assume it with `snowsts assume --role-arn ARN --target-profile " + target + "`"
	if !cfg.Has(ps) && !creds.Has(target) {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q does not exist", target), hint)
	}
	if k, _ := cfg.Get(ps, KindKey); !cfg.IsManaged(ps) || k != KindAssumed {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q is not an assumed-role profile written by snowsts", target), hint)
	}
	rec := &Recorded{Target: target}
	rec.DeviceProfile, _ = cfg.Get(ps, SourceKey)
	rec.RoleARN, _ = cfg.Get(ps, RoleARNKey)
	rec.SessionName, _ = cfg.Get(ps, SessionNameKey)
	d, _ := cfg.Get(ps, DurationKey)
	rec.DurationSeconds, _ = strconv.Atoi(d)
	if rec.DeviceProfile == "" || rec.RoleARN == "" || rec.SessionName == "" || rec.DurationSeconds == 0 {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("profile %q lacks the snowsts keys that record its role", target), hint)
	}
	if creds.IsManaged(target) {
		c := device.Credentials{}
		c.AccessKeyID, _ = creds.Get(target, "aws_access_key_id")
		c.SecretAccessKey, _ = creds.Get(target, "aws_secret_access_key")
		c.SessionToken, _ = creds.Get(target, "aws_session_token")
		exp, _ := creds.Get(target, ExpiresKey)
		if t, err := time.Parse(time.RFC3339, exp); err == nil {
			c.Expiration = t.UTC()
			if device.ValidateCredentials(c) == nil {
				rec.Credentials = &c
			}
		}
	}
	return rec, nil
}

// ListAssumed returns every managed assumed-role profile in the files, in the
// config file's order. Broken ones are skipped.
func ListAssumed(cfg, creds *awsfile.Doc) []*Recorded {
	var out []*Recorded
	for _, s := range cfg.Sections() {
		name, ok := profileName(s)
		if !ok {
			continue
		}
		if k, _ := cfg.Get(s, KindKey); k != KindAssumed || !cfg.IsManaged(s) {
			continue
		}
		if rec, err := ReadAssumed(cfg, creds, name); err == nil {
			out = append(out, rec)
		}
	}
	return out
}

// profileName is the profile a config section header names.
func profileName(section string) (string, bool) {
	if section == "default" {
		return "default", true
	}
	const p = "profile "
	if len(section) > len(p) && section[:len(p)] == p {
		return section[len(p):], true
	}
	return "", false
}

// RemoveManaged deletes profile name from both files when snowsts wrote it as
// an assumed-role or credential_process profile. Device profiles and
// hand-written sections are never removed.
func RemoveManaged(ctx context.Context, paths awsfile.Paths, name string) (removed bool, err error) {
	ps := awsfile.ConfigSection(name)
	r1, err := update(ctx, paths.Config, func(doc *awsfile.Doc) error {
		if k, _ := doc.Get(ps, KindKey); !doc.IsManaged(ps) || (k != KindAssumed && k != KindProcess) {
			return nil
		}
		return doc.DeleteSection(ps)
	})
	if err != nil {
		return false, fmt.Errorf("remove profile %q: %w", name, err)
	}
	r2, err := update(ctx, paths.Credentials, func(doc *awsfile.Doc) error {
		if !doc.IsManaged(name) || !doc.Has(name) {
			return nil
		}
		if _, ok := doc.Get(name, "aws_session_token"); !ok {
			return nil // a device profile's long-term keys: never
		}
		return doc.DeleteSection(name)
	})
	if err != nil {
		return r1.Changed, fmt.Errorf("remove credentials of profile %q: %w", name, err)
	}
	return r1.Changed || r2.Changed, nil
}
