package profile

import (
	"context"
	"fmt"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
)

// Device is a device profile as snowsts writes it.
type Device struct {
	Name      string
	Endpoints map[string]string // sts, iam, s3, ec2 -> URL
	CABundle  string            // absolute path, or "" for none
	// AccessKeyID and SecretAccessKey are the device user's long-term keys.
	AccessKeyID     string
	SecretAccessKey string
}

// ServicesName is the services section a device profile named name uses.
func ServicesName(name string) string { return name }

// ReadDevice returns what the files hold now for device profile name: the
// values configure shows and keeps. exists is false when neither file has it.
func ReadDevice(cfg, creds *awsfile.Doc, name string) (d Device, exists bool) {
	ps := awsfile.ConfigSection(name)
	d = Device{Name: name, Endpoints: map[string]string{}}
	svc, ok := cfg.Get(ps, "services")
	if !ok {
		svc = ServicesName(name)
	}
	for _, s := range device.Services {
		if v, ok := cfg.GetNested("services "+svc, s, "endpoint_url"); ok {
			d.Endpoints[s] = v
		}
	}
	d.CABundle, _ = cfg.Get(ps, "ca_bundle")
	d.AccessKeyID, _ = creds.Get(name, "aws_access_key_id")
	d.SecretAccessKey, _ = creds.Get(name, "aws_secret_access_key")
	return d, cfg.Has(ps) || creds.Has(name)
}

// CheckDeviceWritable refuses, before anything is written, sections of the
// same name that snowsts did not write.
func CheckDeviceWritable(paths awsfile.Paths, cfg, creds *awsfile.Doc, name string, force bool) error {
	if err := checkDeviceConfig(paths, cfg, name, force); err != nil {
		return err
	}
	return refuseForeign(creds, name, paths.Credentials, force)
}

func checkDeviceConfig(paths awsfile.Paths, cfg *awsfile.Doc, name string, force bool) error {
	ps := awsfile.ConfigSection(name)
	if err := refuseForeign(cfg, ps, paths.Config, force); err != nil {
		return err
	}
	if !cfg.IsManaged(ps) {
		return refuseForeign(cfg, "services "+ServicesName(name), paths.Config, force)
	}
	return nil
}

// WriteDevice writes the device profile: [profile P] and [services P] in the
// config file, [P] in the credentials file. Keys snowsts does not own are kept.
func WriteDevice(ctx context.Context, paths awsfile.Paths, d Device, force bool) (Warnings, error) {
	var warn Warnings
	cfg, creds, err := Load(paths)
	if err != nil {
		return nil, err
	}
	if err := CheckDeviceWritable(paths, cfg, creds, d.Name, force); err != nil {
		return nil, err
	}
	ps := awsfile.ConfigSection(d.Name)
	svc := ServicesName(d.Name)
	r, err := update(ctx, paths.Config, func(doc *awsfile.Doc) error {
		if err := checkDeviceConfig(paths, doc, d.Name, force); err != nil {
			return err
		}
		steps := []func() error{
			func() error { return doc.Set(ps, "region", device.Region) },
			func() error { return doc.Set(ps, "services", svc) },
			func() error { return doc.MarkManaged(ps) },
			func() error { return doc.Set(ps, KindKey, KindDevice) },
		}
		if d.CABundle != "" {
			steps = append(steps, func() error { return doc.Set(ps, "ca_bundle", d.CABundle) })
		}
		for _, s := range device.Services {
			if u := d.Endpoints[s]; u != "" {
				steps = append(steps, func() error { return doc.SetNested("services "+svc, s, "endpoint_url", u) })
			}
		}
		return run(steps)
	})
	if err != nil {
		return nil, fmt.Errorf("write profile %q: %w", d.Name, err)
	}
	warn.add(r)
	r, err = update(ctx, paths.Credentials, func(doc *awsfile.Doc) error {
		if err := refuseForeign(doc, d.Name, paths.Credentials, force); err != nil {
			return err
		}
		return run([]func() error{
			func() error { return doc.Set(d.Name, "aws_access_key_id", d.AccessKeyID) },
			func() error { return doc.Set(d.Name, "aws_secret_access_key", d.SecretAccessKey) },
			func() error { return doc.MarkManaged(d.Name) },
		})
	})
	if err != nil {
		return warn, fmt.Errorf("write credentials of profile %q: %w", d.Name, err)
	}
	warn.add(r)
	return warn, nil
}

func run(steps []func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}
