package main

import (
	"context"
	"os/user"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/session"
)

// paths are the AWS shared files this invocation reads and writes.
func (f *factory) paths() awsfile.Paths {
	return awsfile.PathsFromEnv(f.getenv, f.home())
}

// deviceFiles is paths() in the shape pkg/device wants.
func (f *factory) deviceFiles() device.Files {
	p := f.paths()
	return device.Files{Config: p.Config, Credentials: p.Credentials}
}

// loadDevice reads the device profile named by --profile.
func (f *factory) loadDevice(ctx context.Context) (*device.Profile, error) {
	return device.LoadProfile(ctx, f.deviceFiles(), f.profile)
}

// client builds a device client for the --profile device.
func (f *factory) client(ctx context.Context) (*device.Client, error) {
	p, err := f.loadDevice(ctx)
	if err != nil {
		return nil, err
	}
	return device.NewClient(p, device.Options{Logger: f.log()})
}

// cache opens the session cache in $SNOWSTS_CACHE_DIR or the user cache dir.
func (f *factory) cache() (*session.Cache, error) {
	dir, err := session.DefaultDir(f.getenv)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, err, "set SNOWSTS_CACHE_DIR to a directory snowsts may write")
	}
	c := session.New(dir)
	c.Now = f.now
	return c, nil
}

// userName is the login name used for the default session name.
func (f *factory) userName() string {
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := f.getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
