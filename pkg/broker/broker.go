// Package broker decides where a command's credentials come from: a fresh
// AssumeRole on the device, the shared session cache, a managed assumed-role
// profile in the credentials file, or the current session. It is the one place
// that knows how those sources fall back on each other, so that assume, env,
// exec and credential-process behave alike.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

// Broker serves sessions. Cache is required; Logger and Now are optional.
type Broker struct {
	Paths  awsfile.Paths
	Cache  *session.Cache
	Logger *slog.Logger
	Now    func() time.Time
	// MaxAttempts is passed to the device client (0: its default).
	MaxAttempts int
	// Warn receives warnings the operator must see, such as a pinned device
	// certificate accepted for another name; nil sends them to Logger.
	Warn func(msg string)
}

// Session is a set of temporary credentials and where they lead.
type Session struct {
	Device         *device.Profile // the device profile: endpoints, ca_bundle
	Role           profile.Role
	Credentials    device.Credentials
	AssumedRoleARN string
	AssumedRoleID  string
	// Source says where the credentials came from: "device" (a fresh
	// AssumeRole), "cache" or "profile".
	Source string
}

// Request names a role session on a device profile.
type Request struct {
	profile.Role
	// MinRemaining is how much validity a reused session must still have.
	MinRemaining time.Duration
}

func (b *Broker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Broker) log() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// LoadDevice reads and checks the device profile name.
func (b *Broker) LoadDevice(ctx context.Context, name string) (*device.Profile, error) {
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		return nil, err
	}
	return b.DeviceFrom(cfg, creds, name)
}

// DeviceFrom is LoadDevice over the AWS files the caller has already read.
func (b *Broker) DeviceFrom(cfg, creds *awsfile.Doc, name string) (*device.Profile, error) {
	p, err := device.FindProfile(device.Files{Config: b.Paths.Config, Credentials: b.Paths.Credentials}, cfg, creds, name)
	if err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// key is the cache key of r on device p.
func key(p *device.Profile, r profile.Role) session.Key {
	return session.Key{
		Endpoint:        p.Endpoints["sts"],
		AccessKeyID:     p.AccessKeyID,
		SecretAccessKey: p.SecretAccessKey,
		RoleARN:         r.RoleARN,
		SessionName:     r.SessionName,
		DurationSeconds: int32(r.DurationSeconds),
	}
}

// Assume always calls AssumeRole on the device, stores the result in the
// cache for env, exec and credential-process, and returns it.
func (b *Broker) Assume(ctx context.Context, p *device.Profile, r profile.Role) (*Session, error) {
	e, err := b.fetch(ctx, p, r)
	if err != nil {
		return nil, err
	}
	if err := b.Cache.Put(key(p, r), e); err != nil {
		b.log().Debug("cache store failed", "error", err)
	}
	return sessionOf(p, r, e, "device"), nil
}

// Get serves r from the cache while it has more than MinRemaining left, and
// otherwise from one AssumeRole shared by every process asking at once.
func (b *Broker) Get(ctx context.Context, p *device.Profile, req Request) (*Session, error) {
	e, cached, err := b.Cache.GetOrFetch(ctx, key(p, req.Role), req.MinRemaining, func(ctx context.Context) (*session.Entry, error) {
		return b.fetch(ctx, p, req.Role)
	})
	if err != nil && e == nil {
		return nil, err
	}
	if err != nil {
		b.log().Debug("cache store failed", "error", err)
	}
	src := "device"
	if cached {
		src = "cache"
	}
	return sessionOf(p, req.Role, e, src), nil
}

// Cached serves r from the cache only; ok is false on a miss.
func (b *Broker) Cached(p *device.Profile, req Request) (*Session, bool) {
	e, ok := b.Cache.Get(key(p, req.Role), req.MinRemaining)
	if !ok {
		return nil, false
	}
	return sessionOf(p, req.Role, e, "cache"), true
}

func (b *Broker) fetch(ctx context.Context, p *device.Profile, r profile.Role) (*session.Entry, error) {
	c, err := device.NewClient(p, device.Options{Logger: b.Logger, MaxAttempts: b.MaxAttempts, Warn: b.Warn})
	if err != nil {
		return nil, err
	}
	a, err := c.AssumeRole(ctx, r.RoleARN, r.SessionName, r.DurationSeconds)
	if err != nil {
		return nil, err
	}
	return &session.Entry{
		Profile:        p.Name,
		AssumedRoleARN: a.AssumedRoleARN,
		AssumedRoleID:  a.AssumedRoleID,
		Credentials: session.Credentials{
			AccessKeyID:     a.Credentials.AccessKeyID,
			SecretAccessKey: a.Credentials.SecretAccessKey,
			SessionToken:    a.Credentials.SessionToken,
			Expiration:      a.Credentials.Expiration,
		},
		Obtained: b.now().UTC().Truncate(time.Second),
	}, nil
}

func sessionOf(p *device.Profile, r profile.Role, e *session.Entry, src string) *Session {
	return &Session{
		Device: p,
		Role:   r,
		Credentials: device.Credentials{
			AccessKeyID:     e.Credentials.AccessKeyID,
			SecretAccessKey: e.Credentials.SecretAccessKey,
			SessionToken:    e.Credentials.SessionToken,
			Expiration:      e.Credentials.Expiration,
		},
		AssumedRoleARN: e.AssumedRoleARN,
		AssumedRoleID:  e.AssumedRoleID,
		Source:         src,
	}
}

// FromProfile serves the managed assumed-role profile target: its credentials
// from the credentials file while they have more than minRemaining left, else
// the role it records, through the cache (re-assumed when needed). The AWS
// files are only read.
func (b *Broker) FromProfile(ctx context.Context, target string, minRemaining time.Duration) (*Session, error) {
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		return nil, err
	}
	rec, err := profile.ReadAssumed(cfg, creds, target)
	if err != nil {
		return nil, err
	}
	p, err := b.DeviceFrom(cfg, creds, rec.DeviceProfile)
	if err != nil {
		return nil, fmt.Errorf("profile %q was assumed through device profile %q: %w", target, rec.DeviceProfile, err)
	}
	if c := rec.Credentials; c != nil && c.Expiration.Sub(b.now()) > minRemaining {
		return &Session{Device: p, Role: rec.Role, Credentials: *c, Source: "profile"}, nil
	}
	b.log().Debug("profile credentials missing or expiring; assuming its role", "profile", target, "role", rec.RoleARN)
	return b.Get(ctx, p, Request{Role: rec.Role, MinRemaining: minRemaining})
}

// ErrNoSession means there is no current session to serve.
var ErrNoSession = errors.New("no current session")

// FromCurrent serves the session `snowsts assume` recorded last.
func (b *Broker) FromCurrent(ctx context.Context, minRemaining time.Duration) (*Session, error) {
	cur, err := b.Cache.Current()
	if errors.Is(err, session.ErrNoCurrent) {
		return nil, exitcode.New(exitcode.Usage, ErrNoSession,
			"assume a role first (`snowsts assume --role-arn ARN`), or pass --role-arn or --target-profile")
	}
	if err != nil {
		return nil, err
	}
	s, err := b.FromProfile(ctx, cur.TargetProfile, minRemaining)
	if err == nil || exitcode.Of(err) != exitcode.Config {
		return s, err
	}
	// The profile is gone from the files (cleared, or the files moved): the
	// record still says which role it was.
	p, perr := b.LoadDevice(ctx, cur.DeviceProfile)
	if perr != nil {
		return nil, err
	}
	return b.Get(ctx, p, Request{Role: profile.Role{
		DeviceProfile: cur.DeviceProfile, RoleARN: cur.RoleARN, SessionName: cur.SessionName,
		DurationSeconds: int(cur.DurationSeconds),
	}, MinRemaining: minRemaining})
}
