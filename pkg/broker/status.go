package broker

import (
	"errors"
	"fmt"
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

// Where a listed session lives.
const (
	SourceProfile = "profile" // a managed assumed-role profile in the AWS files
	SourceCache   = "cache"   // an entry of the session cache
)

// SessionInfo describes one session for `snowsts status`. It holds no secret:
// no access key id, secret or token.
type SessionInfo struct {
	// Profile is the profile to use the session with: the assumed-role
	// profile for SourceProfile, the device profile it was assumed through
	// for SourceCache.
	Profile       string
	DeviceProfile string
	RoleARN       string
	SessionName   string
	// DurationSeconds is the session length asked for (0 when unknown).
	DurationSeconds int
	// Endpoint is the device's STS endpoint ("" when the device profile is gone).
	Endpoint string
	// Expiration is zero when a profile holds no usable credentials.
	Expiration time.Time
	Source     string
	// Current marks the session `snowsts assume` recorded last: its profile
	// and the cache entries of the same role session.
	Current bool
}

// Remaining is how long s stays valid after now; zero or less once expired.
func (s SessionInfo) Remaining(now time.Time) time.Duration {
	if s.Expiration.IsZero() {
		return 0
	}
	return s.Expiration.Sub(now)
}

// Sessions lists the managed assumed-role profiles of the AWS files (in the
// config file's order) and then every cache entry, expired ones included. A
// damaged current-session record only loses the Current marks.
func (b *Broker) Sessions() ([]SessionInfo, error) {
	cfg, creds, err := profile.Load(b.Paths)
	if err != nil {
		return nil, err
	}
	entries, err := b.Cache.List()
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	cur, err := b.Cache.Current()
	if err != nil {
		if !errors.Is(err, session.ErrNoCurrent) {
			b.log().Debug("current session unreadable", "error", err)
		}
		cur = nil
	}
	var out []SessionInfo
	for _, rec := range profile.ListAssumed(cfg, creds) {
		dev, _ := profile.ReadDevice(cfg, creds, rec.DeviceProfile)
		si := SessionInfo{
			Profile: rec.Target, DeviceProfile: rec.DeviceProfile, RoleARN: rec.RoleARN,
			SessionName: rec.SessionName, DurationSeconds: rec.DurationSeconds,
			Endpoint: dev.Endpoints["sts"], Source: SourceProfile,
			Current: cur != nil && cur.TargetProfile == rec.Target,
		}
		if rec.Credentials != nil {
			si.Expiration = rec.Credentials.Expiration.UTC()
		}
		out = append(out, si)
	}
	for _, e := range entries {
		out = append(out, SessionInfo{
			Profile: e.Profile, DeviceProfile: e.Profile, RoleARN: e.Key.RoleARN,
			SessionName: e.Key.SessionName, DurationSeconds: int(e.Key.DurationSeconds),
			Endpoint: e.Key.Endpoint, Expiration: e.Credentials.Expiration.UTC(), Source: SourceCache,
			Current: cur != nil && matchesCurrent(e, cur),
		})
	}
	return out, nil
}

// matchesCurrent reports whether cache entry e is the role session cur records.
func matchesCurrent(e *session.Entry, cur *session.Current) bool {
	return e.Profile == cur.DeviceProfile && e.Key.RoleARN == cur.RoleARN &&
		e.Key.SessionName == cur.SessionName && e.Key.DurationSeconds == cur.DurationSeconds
}

// Cleared says what a Clear call removed.
type Cleared struct {
	// Profiles are the profiles removed from the AWS files.
	Profiles []string
	// Kept are profiles that were asked for but left alone because snowsts
	// did not write them (or wrote them as device profiles).
	Kept []string
	// Sessions is how many cache entries were removed.
	Sessions int
	// Current is true when the current-session record was removed.
	Current bool
}

// roleOf returns the role session a managed profile records, from its
// snowsts keys in the config file; ok is false when it records none.
func roleOf(cfg *awsfile.Doc, name string) (r profile.Role, ok bool) {
	ps := awsfile.ConfigSection(name)
	r.DeviceProfile, _ = cfg.Get(ps, profile.SourceKey)
	r.RoleARN, _ = cfg.Get(ps, profile.RoleARNKey)
	r.SessionName, _ = cfg.Get(ps, profile.SessionNameKey)
	d, _ := cfg.Get(ps, profile.DurationKey)
	_, err := fmt.Sscanf(d, "%d", &r.DurationSeconds)
	return r, err == nil && r.DeviceProfile != "" && r.RoleARN != "" && r.SessionName != ""
}

// forget removes every cache entry of role session r (on any endpoint of its
// device profile) and returns how many it removed.
func (b *Broker) forget(r profile.Role) (int, error) {
	entries, err := b.Cache.List()
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if e.Profile == r.DeviceProfile && e.Key.RoleARN == r.RoleARN && e.Key.SessionName == r.SessionName &&
			int(e.Key.DurationSeconds) == r.DurationSeconds {
			if err := b.Cache.RemoveEntry(e); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}
